package jp.kouiki.window.central.operator;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signs operators in with their personal accounts and recognises them on later requests, in one of two ways:
 *
 * <ul>
 * <li>a session: {@code POST /operator/api/sign-in} with name and password sets an HttpOnly, Secure, SameSite=Strict
 * cookie and returns a CSRF token that every later POST of the session must send in {@value #CSRF_HEADER};</li>
 * <li>HTTP Basic on each request, for scripts and Prometheus. No response ever requests Basic credentials, so a
 * browser never stores them. A verified password is remembered for {@value #BASIC_CACHE_MINUTES} minutes, because each
 * verification costs a PBKDF2 run.</li>
 * </ul>
 *
 * <p>A sign-in, and each Basic verification, is audited whether it succeeds or not. After {@code
 * central.operator.max-sign-in-failures} failures in a row an account refuses every sign-in for {@code
 * central.operator.lockout-minutes}. Sessions live in memory: a restart or a failover signs everyone out.
 */
public final class OperatorAuthentication {

    /** The signed-in operator of a request. */
    public record Principal(String name, OperatorRole role, Session session) {
    }

    /** A signed-in session. */
    public static final class Session {
        final String token;
        final String name;
        final String csrfToken;
        final Instant created;
        volatile Instant lastUsed;

        Session(String token, String name, String csrfToken, Instant created) {
            this.token = token;
            this.name = name;
            this.csrfToken = csrfToken;
            this.created = created;
            this.lastUsed = created;
        }

        public String token() {
            return token;
        }

        public String csrfToken() {
            return csrfToken;
        }
    }

    /** The reason a sign-in failed. */
    public enum Failure {
        WRONG_CREDENTIALS,
        LOCKED
    }

    /** The result of a sign-in: a session, or the failure. */
    public record SignIn(Session session, OperatorRole role, Failure failure) {
    }

    public static final String COOKIE = "WINDOW_OPERATOR_SESSION";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    static final int BASIC_CACHE_MINUTES = 5;

    private record Failures(int count, Instant lockedUntil) {
    }

    private record Verified(String passwordHash, Instant until) {
    }

    private final OperatorAccounts accounts;
    private final OperatorSettings settings;
    private final AuditLog audit;
    private final SecureRandom random = new SecureRandom();
    private final byte[] cacheKey = new byte[32];
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, Failures> failures = new ConcurrentHashMap<>();
    private final Map<String, Verified> basicVerified = new ConcurrentHashMap<>();

    public OperatorAuthentication(OperatorAccounts accounts, OperatorSettings settings, AuditLog audit) {
        this.accounts = accounts;
        this.settings = settings;
        this.audit = audit;
        random.nextBytes(cacheKey);
    }

    /** Checks name and password and opens a session; audits the attempt. */
    public SignIn signIn(String name, char[] password, String client) {
        Failure failure = verify(name, password, client, "sign-in");
        if (failure != null) {
            return new SignIn(null, null, failure);
        }
        expireSessions();
        Session session = new Session(token(), name, token(), Instant.now());
        sessions.put(session.token, session);
        return new SignIn(session, accounts.find(name).role(), null);
    }

    /** Ends a session; audits it. */
    public void signOut(Principal principal, String client) {
        if (principal.session() != null) {
            sessions.remove(principal.session().token);
            audit.record(principal.name(), "sign-out", null, "ok", null, client);
        }
    }

    /** Returns the principal of a session cookie value, or null when it is unknown or expired. */
    public Principal fromSession(String token) {
        if (token == null) {
            return null;
        }
        Session session = sessions.get(token);
        if (session == null) {
            return null;
        }
        Instant now = Instant.now();
        if (expired(session, now)) {
            sessions.remove(token);
            return null;
        }
        OperatorAccounts.Account account = accounts.find(session.name);
        if (account == null) {
            sessions.remove(token);
            return null;
        }
        session.lastUsed = now;
        return new Principal(session.name, account.role(), session);
    }

    /**
     * Returns the principal of an {@code Authorization: Basic} header value, or null when it is malformed or the
     * credentials are wrong; a failure is audited.
     */
    public Principal fromBasic(String authorization, String client) throws OperatorHttpException {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring("Basic ".length()).strip()),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            audit.record("?", "sign-in", null, "invalid", "Authorization header is not base64", client);
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            audit.record("?", "sign-in", null, "invalid", "Basic credentials have no colon", client);
            return null;
        }
        String name = decoded.substring(0, colon);
        char[] password = decoded.substring(colon + 1).toCharArray();
        try {
            OperatorAccounts.Account account = accounts.find(name);
            String cacheEntry = name + "\u0000" + digest(password);
            Verified verified = basicVerified.get(cacheEntry);
            if (account != null && verified != null && verified.passwordHash().equals(account.passwordHash())
                    && verified.until().isAfter(Instant.now()) && !isLocked(name)) {
                return new Principal(name, account.role(), null);
            }
            Failure failure = verify(name, password, client, "sign-in-basic");
            if (failure == Failure.LOCKED) {
                throw new OperatorHttpException(429, "account " + AuditLog.printable(name) + " is locked after"
                        + " repeated failed sign-ins", "wait and try again, or ask another operator to check the"
                        + " audit log");
            }
            if (failure != null) {
                return null;
            }
            account = accounts.find(name);
            basicVerified.put(cacheEntry, new Verified(account.passwordHash(),
                    Instant.now().plus(Duration.ofMinutes(BASIC_CACHE_MINUTES))));
            return new Principal(name, account.role(), null);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** Returns null when name and password are right, otherwise why not; audits either way. */
    private Failure verify(String name, char[] password, String client, String action) {
        OperatorAccounts.Account account = name == null ? null : accounts.find(name);
        if (name != null && isLocked(name)) {
            PasswordHash.verifyDecoy(password);
            audit.record(name, action, null, "denied", "account locked after repeated failures", client);
            return Failure.LOCKED;
        }
        boolean matches;
        if (account == null) {
            PasswordHash.verifyDecoy(password);
            matches = false;
        } else {
            matches = PasswordHash.verify(password, account.passwordHash());
        }
        if (!matches) {
            String detail = account == null ? "unknown account or wrong password" : "wrong password";
            if (account != null) {
                recordFailure(name);
            }
            audit.record(name == null ? "?" : name, action, null, "failed", detail, client);
            return Failure.WRONG_CREDENTIALS;
        }
        failures.remove(name);
        audit.record(name, action, null, "ok", "role=" + account.role().label(), client);
        return null;
    }

    private boolean isLocked(String name) {
        Failures record = failures.get(name);
        return record != null && record.lockedUntil() != null && record.lockedUntil().isAfter(Instant.now());
    }

    private void recordFailure(String name) {
        failures.compute(name, (key, previous) -> {
            int count = previous == null || previous.lockedUntil() != null ? 1 : previous.count() + 1;
            Instant lockedUntil = count >= settings.maxSignInFailures()
                    ? Instant.now().plus(settings.lockout()) : null;
            return new Failures(count, lockedUntil);
        });
    }

    private boolean expired(Session session, Instant now) {
        return session.lastUsed.plus(settings.sessionIdle()).isBefore(now)
                || session.created.plus(settings.sessionMaximum()).isBefore(now);
    }

    private void expireSessions() {
        Instant now = Instant.now();
        sessions.values().removeIf(session -> expired(session, now));
        basicVerified.values().removeIf(verified -> verified.until().isBefore(now));
    }

    private String token() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Returns a keyed digest of the password, so the Basic cache contains no password. */
    private String digest(char[] password) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(cacheKey);
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
            sha256.update(bytes);
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
