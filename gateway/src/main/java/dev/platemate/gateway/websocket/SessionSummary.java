package dev.platemate.gateway.websocket;

import dev.platemate.gateway.server.TokenUsage;
import java.net.InetAddress;

/**
 * One WebSocket session as it ended, for the access log and the metrics.
 *
 * @param path           the handshake's path, without the query
 * @param messagesIn     data messages from the client to the upstream ({@code bytesIn}: their payload bytes)
 * @param messagesOut    data messages from the upstream to the client
 * @param closeCode      the close code the closer sent (1006 when a side went without one)
 * @param closedBy       who ended it: client, upstream or gateway
 * @param reason         why the gateway ended it (idle_timeout, max_session, max_message_size, protocol_error,
 *                       shutdown), else "-"
 * @param usage          the tokens of the Realtime responses it carried ({@link TokenUsage#NONE} when none)
 */
public record SessionSummary(InetAddress client, String path, String route, String upstream, long durationNanos,
                             long messagesIn, long messagesOut, long bytesIn, long bytesOut, int closeCode,
                             String closedBy, String reason, TokenUsage usage) {
}
