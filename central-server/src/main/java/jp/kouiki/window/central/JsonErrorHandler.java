package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Jetty's own error replies in the JSON form of the window and operator APIs ({@code status}, {@code error},
 * {@code action}), for the requests that Jetty rejects before they reach a route: a method that a path does not take
 * (405), headers over the size limit (431) or a malformed request (400). Jetty would reply to these with an HTML page
 * or an empty body.
 */
public final class JsonErrorHandler extends ErrorHandler {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/json;charset=utf-8";

    /** Writes a body for every method, where Jetty writes one only for GET, POST and HEAD. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) throws IOException {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    /** Writes the body of a reply that Jetty sends while it parses a request, before it has a request object. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        return ByteBuffer.wrap(body(status, reason));
    }

    static byte[] body(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        String reason = HttpStatus.getMessage(status);
        body.put("error", message == null || message.isBlank() || message.equals(reason) ? reason
                : reason + ": " + message);
        body.put("action", action(status));
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and a number could not be written as JSON", e);
        }
    }

    private static String action(int status) {
        return switch (status) {
            case 405 -> "use the method that the API documents for this path";
            case 413, 431 -> "send fewer or shorter headers, and a body within the API's limits";
            case 400 -> "send a well-formed HTTP/1.1 request";
            default -> "check the request against the API; retry later if the status is 5xx";
        };
    }
}
