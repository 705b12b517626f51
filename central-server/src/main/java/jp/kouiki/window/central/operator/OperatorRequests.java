package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;

import org.apache.camel.Exchange;
import org.apache.camel.http.common.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Serves the operator port: the JSON API under {@code /operator/api/}, the page under {@code /operator/} and Prometheus
 * metrics at {@code /metrics}. The method and the raw request path select the handler; a path with anything but
 * letters, digits and {@code /_.-} is not found, so percent-encoded or dotted paths reach nothing. No handler returns
 * a file's contents: the API reports queue counters, manifests and history records only.
 */
final class OperatorRequests {

    /** The parts the handlers use; null until the node is active and the history is open. */
    record Components(OperatorAuthentication authentication, OperatorViews views, StuckReasons reasons,
            OperatorActions actions, TransferHistory history, AuditLog audit, ExpectedFiles expected,
            Supplier<String> metrics, Cancellations cancellations, DownloadOperations downloads) {
    }

    static final List<String> RESPONSE_HEADERS = List.of(Exchange.HTTP_RESPONSE_CODE, Exchange.CONTENT_TYPE,
            "Set-Cookie", "Cache-Control", "X-Content-Type-Options", "Content-Security-Policy", "Referrer-Policy",
            "X-Frame-Options", "Location");

    private static final Logger LOG = LoggerFactory.getLogger(OperatorRequests.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9/_.-]*");
    private static final Pattern MUNICIPALITY = Pattern.compile("/operator/api/municipalities/([0-9]{6})(/.*)?");
    private static final Pattern DEAD_LETTER_RETRY = Pattern.compile("/dead-letters/([0-9a-f]{32})/retry");
    private static final Pattern TRANSFER = Pattern.compile("/operator/api/transfers/([0-9a-f]{32})");
    private static final Pattern EXPECTED = Pattern.compile("/operator/api/expected-files/([0-9]{6})/([A-Z0-9_]{1,32})");
    private static final int MAX_BODY_BYTES = 16 * 1024;
    private static final int DEFAULT_LIMIT = 200;
    private static final int MAX_LIMIT = 5000;

    private final Supplier<Components> components;

    OperatorRequests(Supplier<Components> components) {
        this.components = components;
    }

    /** Serves one request. */
    void handle(Exchange exchange) throws Exception {
        HttpServletRequest request = request(exchange);
        String path = request.getRequestURI();
        String method = request.getMethod();
        if (!SAFE_PATH.matcher(path).matches() || path.contains("..") || path.contains("//")) {
            throw new OperatorHttpException(404, "no operator resource at this path", "use /operator/ or"
                    + " /operator/api/...");
        }
        if (path.equals("/operator")) {
            exchange.getMessage().setHeader("Location", "/operator/");
            reply(exchange, 301, "text/plain; charset=utf-8", new byte[0]);
            return;
        }
        if (path.startsWith("/operator/") && !path.startsWith("/operator/api/")) {
            page(exchange, method, path.equals("/operator/") ? "index.html" : path.substring("/operator/".length()));
            return;
        }
        api(exchange, request, path, method);
    }

    private void api(Exchange exchange, HttpServletRequest request, String path, String method) throws Exception {
        Components parts = components.get();
        if (parts == null) {
            throw new OperatorHttpException(503, "this central server is on standby; the other node of its pair is"
                    + " active", "use the operator port of the active node");
        }
        String client = request.getRemoteAddr();
        if (method.equals("POST") && path.equals("/operator/api/sign-in")) {
            signIn(exchange, parts, client);
            return;
        }

        OperatorAuthentication.Principal principal = authenticate(request, parts, client);
        if (path.equals("/metrics") && method.equals("GET")) {
            reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                    parts.metrics().get().getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (method.equals("GET")) {
            json(exchange, 200, read(request, path, principal, parts));
        } else if (method.equals("POST") || method.equals("DELETE")) {
            json(exchange, 200, act(exchange, request, path, principal, parts, client));
        } else {
            throw new OperatorHttpException(405, "method " + method + " is not supported here", "use GET or POST");
        }
    }

    private void page(Exchange exchange, String method, String name) throws Exception {
        if (!method.equals("GET")) {
            throw new OperatorHttpException(405, "method " + method + " is not supported here", "use GET");
        }
        byte[] content = OperatorPage.read(name);
        if (content == null) {
            throw new OperatorHttpException(404, "no operator page file of that name", "open /operator/");
        }
        exchange.getMessage().setHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none';"
                + " form-action 'self'; base-uri 'none'");
        reply(exchange, 200, OperatorPage.FILES.get(name), content);
    }

    private void signIn(Exchange exchange, Components parts, String client) throws Exception {
        JsonNode body = body(request(exchange));
        String name = body.path("name").asText(null);
        String password = body.path("password").asText(null);
        if (name == null || password == null) {
            throw new OperatorHttpException(400, "sign-in needs name and password", "send {\"name\": ...,"
                    + " \"password\": ...}");
        }
        OperatorAuthentication.SignIn result = parts.authentication().signIn(name, password.toCharArray(), client);
        if (result.failure() == OperatorAuthentication.Failure.LOCKED) {
            throw new OperatorHttpException(429, "account " + AuditLog.printable(name) + " is locked after repeated"
                    + " failed sign-ins", "wait and try again, or ask another operator to check the audit log");
        }
        if (result.session() == null) {
            throw new OperatorHttpException(401, "wrong account name or password", "check both and sign in again");
        }
        exchange.getMessage().setHeader("Set-Cookie", OperatorAuthentication.COOKIE + "=" + result.session().token()
                + "; Path=/; Secure; HttpOnly; SameSite=Strict");
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("name", name);
        answer.put("role", result.role().label());
        answer.put("csrfToken", result.session().csrfToken());
        json(exchange, 200, answer);
    }

    private OperatorAuthentication.Principal authenticate(HttpServletRequest request, Components parts,
            String client) throws OperatorHttpException {
        String authorization = request.getHeader("Authorization");
        OperatorAuthentication.Principal principal = null;
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            principal = parts.authentication().fromBasic(authorization, client);
        } else {
            principal = parts.authentication().fromSession(sessionCookie(request));
        }
        if (principal == null) {
            throw new OperatorHttpException(401, "not signed in, or the session has ended", "sign in with POST"
                    + " /operator/api/sign-in, or send HTTP Basic credentials of your operator account");
        }
        return principal;
    }

    private static String sessionCookie(HttpServletRequest request) {
        if (request.getCookies() == null) {
            return null;
        }
        for (jakarta.servlet.http.Cookie cookie : request.getCookies()) {
            if (cookie.getName().equals(OperatorAuthentication.COOKIE)) {
                return cookie.getValue();
            }
        }
        return null;
    }

    private Object read(HttpServletRequest request, String path, OperatorAuthentication.Principal principal,
            Components parts) throws Exception {
        switch (path) {
            case "/operator/api/me":
                return Map.of("name", principal.name(), "role", principal.role().label());
            case "/operator/api/municipalities":
                return parts.views().statuses();
            case "/operator/api/why":
                return parts.reasons().explainAll();
            case "/operator/api/versions":
                return parts.views().versions().report();
            case "/operator/api/transfers":
                return parts.history().search(transferQuery(request)).stream().map(OperatorRequests::transfer)
                        .toList();
            case "/operator/api/audit":
                return parts.audit().list(instant(request, "from", Instant.EPOCH),
                        instant(request, "to", Instant.now().plusSeconds(1)), limit(request));
            case "/operator/api/expected-files":
                return parts.expected().list();
            case "/operator/api/cancellations":
                return cancellations(parts, request.getParameter("municipality"));
            default:
                break;
        }
        Matcher transfer = TRANSFER.matcher(path);
        if (transfer.matches()) {
            List<Transfer> found = parts.history().findByFileId(transfer.group(1));
            if (found.isEmpty()) {
                throw new OperatorHttpException(404, "file id " + transfer.group(1) + " is not in the history",
                        "search by name with /operator/api/transfers?name=...");
            }
            return transfer(found.get(0));
        }
        Matcher municipality = MUNICIPALITY.matcher(path);
        if (municipality.matches()) {
            MunicipalityCode code = served(parts, municipality.group(1));
            String rest = municipality.group(2);
            MunicipalityStatus status = parts.views().status(code);
            if (rest == null) {
                Map<String, Object> answer = new LinkedHashMap<>();
                answer.put("status", status);
                answer.put("why", parts.reasons().explain(status));
                answer.put("deadLetters", parts.views().broker().listDeadLetters(code));
                return answer;
            }
            if (rest.equals("/dead-letters")) {
                return parts.views().broker().listDeadLetters(code);
            }
            if (rest.equals("/cancellations")) {
                return cancellations(parts, code.value());
            }
            if (rest.equals("/downloads")) {
                if (parts.downloads() == null) {
                    throw new OperatorHttpException(503, "downloads cannot be listed on this node",
                            "ask the active node of the pair");
                }
                return parts.downloads().downloads(code, limit(request)).stream().map(OperatorRequests::download)
                        .toList();
            }
        }
        throw new OperatorHttpException(404, "no operator resource at " + path, "see docs/operators.md for the API");
    }

    private Object act(Exchange exchange, HttpServletRequest request, String path,
            OperatorAuthentication.Principal principal, Components parts, String client) throws Exception {
        if (path.equals("/operator/api/sign-out")) {
            parts.authentication().signOut(principal, client);
            exchange.getMessage().setHeader("Set-Cookie", OperatorAuthentication.COOKIE
                    + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
            return Map.of("signedOut", true);
        }
        requireCsrfToken(request, principal);
        String action = actionName(path, request.getMethod());
        if (!principal.role().mayAct()) {
            parts.audit().record(principal.name(), action, targetOf(path), "denied", "role viewer may not act",
                    client);
            throw new OperatorHttpException(403, "operator " + principal.name() + " has the viewer role and may not"
                    + " act", "ask an operator with the actor role");
        }
        try {
            return perform(request, path, principal, parts, client);
        } catch (OperatorHttpException e) {
            // Every refused action is in the audit trail, with what was asked and why it was refused.
            parts.audit().record(principal.name(), action, targetOf(path), outcomeOf(e.status()),
                    e.status() + " " + e.getMessage(), client);
            throw e;
        }
    }

    /** Carries out an actor's action; the caller records a refusal in the audit trail. */
    private Object perform(HttpServletRequest request, String path, OperatorAuthentication.Principal principal,
            Components parts, String client) throws Exception {
        JsonNode body = body(request);
        if (path.equals("/operator/api/expected-files") && request.getMethod().equals("POST")) {
            return expect(parts, principal, body, client);
        }
        Matcher expected = EXPECTED.matcher(path);
        if (expected.matches() && request.getMethod().equals("DELETE")) {
            boolean removed = parts.expected().remove(expected.group(1), expected.group(2));
            parts.audit().record(principal.name(), "unexpect-file", expected.group(1) + "/" + expected.group(2),
                    removed ? "ok" : "not-found", null, client);
            return Map.of("removed", removed);
        }
        Matcher municipality = MUNICIPALITY.matcher(path);
        if (!municipality.matches() || municipality.group(2) == null || !request.getMethod().equals("POST")) {
            throw new OperatorHttpException(404, "no operator action at " + path, "see docs/operators.md for the"
                    + " API");
        }
        MunicipalityCode code = served(parts, municipality.group(1));
        String rest = municipality.group(2);
        OperatorActions actions = parts.actions();
        if (rest.equals("/pause")) {
            return actions.pause(principal.name(), code, body.path("reason").asText(""), client);
        }
        if (rest.equals("/resume")) {
            return actions.resume(principal.name(), code, client);
        }
        if (rest.equals("/dead-letters/purge")) {
            String confirm = request.getParameter("confirm");
            if (!code.value().equals(confirm)) {
                throw new OperatorHttpException(400, "purging the dead letters of " + code + " needs the"
                        + " confirmation confirm=" + code, "send the request again with ?confirm=" + code);
            }
            return actions.purge(principal.name(), code, client);
        }
        if (rest.equals("/cancellations")) {
            return actions.cancel(principal.name(), code, blankToNull(body.path("fileId").asText(null)),
                    blankToNull(body.path("fileName").asText(null)), body.path("reason").asText(""), client);
        }
        Matcher retry = DEAD_LETTER_RETRY.matcher(rest);
        if (retry.matches()) {
            return actions.retry(principal.name(), code, retry.group(1), client);
        }
        throw new OperatorHttpException(404, "no operator action at " + path, "see docs/operators.md for the API");
    }

    private static Object expect(Components parts, OperatorAuthentication.Principal principal, JsonNode body,
            String client) throws Exception {
        String code = body.path("municipality").asText("");
        String kind = body.path("ifKind").asText("");
        String due = body.path("dueTime").asText("");
        served(parts, code);
        try {
            parts.expected().put(code, kind, due, principal.name());
        } catch (IllegalArgumentException e) {
            throw new OperatorHttpException(400, e.getMessage(), "correct the value and send it again");
        }
        parts.audit().record(principal.name(), "expect-file", code + "/" + kind, "ok", "due=" + due, client);
        return Map.of("municipality", code, "ifKind", kind, "dueTime", due);
    }

    /** Returns the audit outcome of a refused action: invalid (400), not-found (404), failed (409) or refused. */
    private static String outcomeOf(int status) {
        return switch (status) {
            case 400, 413 -> "invalid";
            case 404 -> "not-found";
            case 409 -> "failed";
            default -> "refused";
        };
    }

    /** Returns what an action names, as its audit target: a municipality, a file of one, or an expected file. */
    private static String targetOf(String path) {
        Matcher expected = EXPECTED.matcher(path);
        if (expected.matches()) {
            return expected.group(1) + "/" + expected.group(2);
        }
        Matcher municipality = MUNICIPALITY.matcher(path);
        if (!municipality.matches()) {
            return null;
        }
        Matcher retry = municipality.group(2) == null ? null : DEAD_LETTER_RETRY.matcher(municipality.group(2));
        return retry != null && retry.matches() ? municipality.group(1) + "/" + retry.group(1)
                : municipality.group(1);
    }

    private static String actionName(String path, String method) {
        if (path.startsWith("/operator/api/expected-files/") && "DELETE".equals(method)) {
            return "unexpect-file";
        }
        return actionName(path);
    }

    private static String actionName(String path) {
        if (path.endsWith("/pause")) {
            return "pause";
        }
        if (path.endsWith("/resume")) {
            return "resume";
        }
        if (path.endsWith("/retry")) {
            return "retry";
        }
        if (path.endsWith("/purge")) {
            return "purge";
        }
        if (path.endsWith("/cancellations")) {
            return "cancel";
        }
        return path.startsWith("/operator/api/expected-files") ? "expect-file" : "unknown";
    }

    /**
     * Requires the session's CSRF token on a state-changing request of a cookie session; Basic requests carry their
     * credentials themselves, which a browser never adds on its own here.
     */
    private static void requireCsrfToken(HttpServletRequest request, OperatorAuthentication.Principal principal)
            throws OperatorHttpException {
        if (principal.session() == null) {
            return;
        }
        String token = request.getHeader(OperatorAuthentication.CSRF_HEADER);
        if (token == null || !java.security.MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
                principal.session().csrfToken().getBytes(StandardCharsets.UTF_8))) {
            throw new OperatorHttpException(403, "the request lacks the session's CSRF token", "send the csrfToken"
                    + " returned at sign-in in the " + OperatorAuthentication.CSRF_HEADER + " header");
        }
    }

    /** Lists the cancellations of one municipality, or of all when the code is null, newest first. */
    private static List<Map<String, Object>> cancellations(Components parts, String municipality)
            throws OperatorHttpException {
        List<Cancellations.Cancellation> list = new java.util.ArrayList<>(municipality == null
                ? parts.cancellations().all() : parts.cancellations().list(served(parts, municipality)));
        if (municipality != null) {
            java.util.Collections.reverse(list);
        }
        return list.stream().map(CancelAction::view).toList();
    }

    private static MunicipalityCode served(Components parts, String code) throws OperatorHttpException {
        if (!MunicipalityCode.isValid(code)
                || !parts.views().isServed(MunicipalityCode.of(code))) {
            throw new OperatorHttpException(404, "municipality " + code + " is not served by this central server",
                    "use the code of a served municipality; GET /operator/api/municipalities lists them");
        }
        return MunicipalityCode.of(code);
    }

    private static TransferHistory.Query transferQuery(HttpServletRequest request) throws OperatorHttpException {
        String municipality = request.getParameter("municipality");
        if (municipality != null && !MunicipalityCode.isValid(municipality)) {
            throw new OperatorHttpException(400, "municipality '" + municipality + "' is not a six-digit code with"
                    + " a valid check digit", "use a code such as 131016");
        }
        String outcome = request.getParameter("outcome");
        if (outcome != null && !outcome.matches("announced|held|stored|waiting|delivered|rejected|retried|cancelled")) {
            throw new OperatorHttpException(400, "outcome '" + outcome + "' is unknown", "use announced, held,"
                    + " stored, waiting, delivered, rejected, retried or cancelled");
        }
        String name = request.getParameter("name");
        return new TransferHistory.Query(blankToNull(municipality), instant(request, "from", null),
                endInstant(request), blankToNull(name), blankToNull(outcome), limit(request));
    }

    /** Reads a date (yyyy-MM-dd, the start of that day in Tokyo) or an ISO-8601 date-time with offset. */
    private static Instant instant(HttpServletRequest request, String parameter, Instant fallback)
            throws OperatorHttpException {
        String value = blankToNull(request.getParameter(parameter));
        if (value == null) {
            return fallback;
        }
        try {
            if (value.length() == 10) {
                return LocalDate.parse(value).atStartOfDay(Times.TOKYO).toInstant();
            }
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw new OperatorHttpException(400, parameter + " '" + value + "' is not a date", "use yyyy-MM-dd"
                    + " (Asia/Tokyo) or an ISO-8601 date-time with offset, such as 2026-12-04T09:00:00+09:00");
        }
    }

    /** Reads {@code to}; a date alone includes that whole day. */
    private static Instant endInstant(HttpServletRequest request) throws OperatorHttpException {
        Instant to = instant(request, "to", null);
        String value = blankToNull(request.getParameter("to"));
        return to != null && value.length() == 10 ? to.plus(java.time.Duration.ofDays(1)) : to;
    }

    private static int limit(HttpServletRequest request) throws OperatorHttpException {
        String value = blankToNull(request.getParameter("limit"));
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // Rejected below with the allowed range.
        }
        throw new OperatorHttpException(400, "limit '" + value + "' is invalid", "use a number from 1 to "
                + MAX_LIMIT);
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text.strip();
    }

    private static Map<String, Object> download(DownloadOperations.Recorded download) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("fileId", download.fileId());
        map.put("fileName", download.fileName());
        map.put("size", download.size());
        map.put("state", download.state());
        map.put("at", Times.iso(download.at()));
        map.put("reason", download.reason());
        return map;
    }

    static Map<String, Object> transfer(Transfer transfer) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("municipality", transfer.municipality());
        map.put("fileId", transfer.fileId());
        map.put("fileName", transfer.fileName());
        map.put("ifKind", transfer.ifKind());
        map.put("size", transfer.size());
        map.put("sha256", transfer.sha256());
        map.put("announcedAt", Times.iso(transfer.announcedAt()));
        map.put("storedAt", Times.iso(transfer.storedAt()));
        map.put("waitingAt", Times.iso(transfer.waitingAt()));
        map.put("deliveredAt", Times.iso(transfer.deliveredAt()));
        map.put("rejectedAt", Times.iso(transfer.rejectedAt()));
        map.put("heldAt", Times.iso(transfer.heldAt()));
        map.put("retriedAt", Times.iso(transfer.retriedAt()));
        map.put("cancelledAt", Times.iso(transfer.cancelledAt()));
        map.put("outcome", transfer.outcome());
        map.put("reason", transfer.reason());
        return map;
    }

    private static JsonNode body(HttpServletRequest request) throws IOException, OperatorHttpException {
        byte[] bytes;
        try (InputStream in = request.getInputStream()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new OperatorHttpException(413, "request body exceeds " + MAX_BODY_BYTES + " bytes", "send a"
                    + " smaller JSON body");
        }
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new OperatorHttpException(400, "request body is not JSON", "send a JSON object");
        }
        if (!body.isObject()) {
            throw new OperatorHttpException(400, "request body is JSON but not an object", "send a JSON object");
        }
        return body;
    }

    void writeError(Exchange exchange) throws IOException {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        int status;
        Map<String, Object> body = new LinkedHashMap<>();
        if (caught instanceof OperatorHttpException error) {
            status = error.status();
            body.put("error", error.getMessage());
            body.put("action", error.action());
        } else {
            status = 500;
            LOG.error("Operator request failed: path={}", request(exchange).getRequestURI(), caught);
            body.put("error", "the operator request failed on the server");
            body.put("action", "see the central server's log, then try again");
        }
        body.put("status", status);
        exchange.getMessage().removeHeaders("*");
        json(exchange, status, body);
    }

    private static void json(Exchange exchange, int status, Object body) throws IOException {
        reply(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    private static void reply(Exchange exchange, int status, String contentType, byte[] body) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, contentType);
        exchange.getMessage().setHeader("Cache-Control", "no-store");
        exchange.getMessage().setHeader("X-Content-Type-Options", "nosniff");
        exchange.getMessage().setHeader("X-Frame-Options", "DENY");
        exchange.getMessage().setHeader("Referrer-Policy", "no-referrer");
        exchange.getMessage().setBody(body);
    }

    private static HttpServletRequest request(Exchange exchange) {
        return exchange.getMessage(HttpMessage.class).getRequest();
    }
}
