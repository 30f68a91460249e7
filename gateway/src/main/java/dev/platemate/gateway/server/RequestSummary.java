package dev.platemate.gateway.server;

import java.net.InetAddress;
import java.util.List;

/**
 * One finished request, as the access log and the request metrics see it. Holds no header and no query string, so
 * nothing secret can reach a log through it.
 *
 * @param route          the matched route prefix, or {@code "-"} for the gateway's own endpoints and refusals
 * @param upstream       the route's upstream, or {@code "-"}
 * @param status         the status sent, or 499 when the client left before any response
 * @param bytes          body bytes sent to the client
 * @param queueMillis    time waited in a limiter, or -1 where the route has none
 * @param upstreamMillis time from sending upstream to the response head, or -1 where nothing went upstream
 * @param cache          the X-Cache result, or {@code "-"}
 * @param completed      false when the response was cut or the client left before its end
 * @param usage          the tokens of a request on an AI route, else {@link TokenUsage#NONE}
 * @param caller         who made it as its rate limits name callers (a header's value only as a hash), or "-"
 * @param fallbacks      the upstreams a route's fallback went past, and why
 * @param error          the type of the gateway's own error it was answered with (DESIGN.md's table), or "-"
 */
public record RequestSummary(InetAddress client, String method, String path, String route, String upstream,
                             int status, long bytes, long totalNanos, long queueMillis, long upstreamMillis,
                             String cache, boolean completed, TokenUsage usage, String caller,
                             List<Fallback> fallbacks, String error) {

    /** One step of a route's fallback: {@code from} did not serve the request (for {@code reason}); {@code to} next. */
    public record Fallback(String from, String to, String reason) {
    }

    public RequestSummary {
        fallbacks = List.copyOf(fallbacks);
    }

    /** The status of a request whose client left before any response (nginx's convention). */
    public static final int CLIENT_CLOSED = 499;
}
