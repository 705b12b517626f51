package jp.kouiki.window.agent;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import jp.kouiki.window.config.Settings;

/**
 * The forward proxy through which the agent reaches the central window server, as on an LGWAN segment that reaches
 * the outside only through its proxy. Requests to the window server tunnel through it with HTTP CONNECT, so TLS and
 * the client certificate still reach the window server end to end. The password stays in its own file and out of
 * this record, so that logging the settings cannot reveal it.
 *
 * @param user the user for Basic proxy authentication, or null when the proxy requires none
 * @param passwordFile the file whose first line is that user's password, or null without a user
 */
public record ForwardProxy(String host, int port, String user, Path passwordFile) {

    static final String URL = "agent.proxy.url";
    static final String USER = "agent.proxy.user";
    static final String PASSWORD_FILE = "agent.proxy.password-file";

    /** Reads the proxy settings; returns null when {@code agent.proxy.url} is empty, so requests go out directly. */
    static ForwardProxy from(Settings settings) {
        String value = settings.text(URL, "");
        String user = settings.text(USER, "");
        String passwordFile = settings.text(PASSWORD_FILE, "");
        if (value.isEmpty()) {
            if (!user.isEmpty() || !passwordFile.isEmpty()) {
                throw settings.invalid(URL, value, "the proxy's http://host:port URL, because " + USER + " or "
                        + PASSWORD_FILE + " is set; or leave all three empty to connect without a proxy");
            }
            return null;
        }
        URI url = parse(value);
        if (url == null || !"http".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 1
                || url.getPort() > 65535 || url.getUserInfo() != null
                || !(url.getRawPath() == null || url.getRawPath().isEmpty() || url.getRawPath().equals("/"))
                || url.getRawQuery() != null) {
            throw settings.invalid(URL, value, "http://host:port of a forward proxy that accepts HTTP CONNECT, with"
                    + " a port from 1 to 65535 and no user, path or query (the user goes in " + USER + ", the password"
                    + " in the file named by " + PASSWORD_FILE + ")");
        }
        if (user.isEmpty() != passwordFile.isEmpty()) {
            throw settings.invalid(user.isEmpty() ? USER : PASSWORD_FILE, "", "a value, because proxy"
                    + " authentication needs both " + USER + " and " + PASSWORD_FILE + "; leave both empty for a"
                    + " proxy without authentication");
        }
        ForwardProxy proxy = new ForwardProxy(url.getHost(), url.getPort(), user.isEmpty() ? null : user,
                passwordFile.isEmpty() ? null : Path.of(passwordFile).toAbsolutePath());
        if (proxy.passwordFile() != null) {
            try {
                proxy.readPassword();
            } catch (IOException e) {
                throw settings.invalid(PASSWORD_FILE, passwordFile, "a readable file whose first line is the proxy"
                        + " password of user " + user + " (" + e.getMessage() + ")");
            }
        }
        return proxy;
    }

    /** Returns the proxy as a URL, for log lines. */
    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Reads the password from the first line of the password file.
     *
     * @throws IOException when the file cannot be read or its first line is empty
     */
    String readPassword() throws IOException {
        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        if (password.isEmpty()) {
            throw new IOException("the first line of " + passwordFile + " is empty");
        }
        return password;
    }

    private static URI parse(String value) {
        try {
            return URI.create(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
