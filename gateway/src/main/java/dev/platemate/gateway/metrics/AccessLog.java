package dev.platemate.gateway.metrics;

import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import dev.platemate.gateway.server.TokenUsage;
import dev.platemate.gateway.websocket.SessionBook;
import dev.platemate.gateway.websocket.SessionSummary;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per finished request on the logger {@code access}, which the shipped Logback config writes through
 * a non-blocking queue (lines are dropped, never waited for, when it is full). Off when that logger is off
 * ({@code GATEWAY_ACCESS_LOG=OFF}). Logs no header and no query string. A WebSocket session has its handshake's line
 * (status 101) and one more when it ends.
 */
public final class AccessLog implements RequestListener, SessionBook.Listener {

    private static final Logger log = LoggerFactory.getLogger("access");

    @Override
    public void requestEnded(RequestSummary r) {
        if (log.isInfoEnabled()) {
            log.info(line(r, Instant.now()));
        }
    }

    @Override
    public void sessionEnded(SessionSummary s) {
        if (log.isInfoEnabled()) {
            log.info(line(s, Instant.now()));
        }
    }

    static String line(SessionSummary s, Instant at) {
        StringBuilder line = new StringBuilder(256).append("{\"ts\":\"").append(at).append('"');
        text(line, "client", s.client() == null ? "-" : s.client().getHostAddress());
        text(line, "kind", "websocket");
        text(line, "path", s.path());
        text(line, "route", s.route());
        text(line, "upstream", s.upstream());
        line.append(",\"duration_ms\":").append(Math.round(s.durationNanos() / 10_000.0) / 100.0);
        line.append(",\"messages_in\":").append(s.messagesIn());
        line.append(",\"messages_out\":").append(s.messagesOut());
        line.append(",\"bytes_in\":").append(s.bytesIn());
        line.append(",\"bytes_out\":").append(s.bytesOut());
        line.append(",\"close_code\":").append(s.closeCode());
        text(line, "closed_by", s.closedBy());
        text(line, "reason", s.reason());
        if (s.usage() != TokenUsage.NONE) {
            text(line, "model", s.usage().model());
            line.append(",\"prompt_tokens\":").append(s.usage().prompt());
            line.append(",\"completion_tokens\":").append(s.usage().completion());
        }
        return line.append('}').toString();
    }

    static String line(RequestSummary r, Instant at) {
        StringBuilder line = new StringBuilder(256).append("{\"ts\":\"").append(at).append('"');
        text(line, "client", r.client() == null ? "-" : r.client().getHostAddress());
        text(line, "method", r.method());
        text(line, "path", r.path());
        text(line, "route", r.route());
        text(line, "upstream", r.upstream());
        line.append(",\"status\":").append(r.status());
        line.append(",\"bytes\":").append(r.bytes());
        line.append(",\"total_ms\":").append(Math.round(r.totalNanos() / 10_000.0) / 100.0);
        line.append(",\"queue_ms\":").append(r.queueMillis());
        line.append(",\"upstream_ms\":").append(r.upstreamMillis());
        text(line, "cache", r.cache());
        line.append(",\"completed\":").append(r.completed());
        if (!r.fallbacks().isEmpty()) {   // every upstream tried, in order, and why each did not serve
            StringBuilder tried = new StringBuilder();
            r.fallbacks().forEach(step -> tried.append(step.from()).append(':').append(step.reason()).append(','));
            text(line, "tried", tried.append(r.upstream()).toString());
        }
        if (r.usage() != TokenUsage.NONE) {
            text(line, "model", r.usage().model());
            line.append(",\"prompt_tokens\":").append(r.usage().prompt());
            line.append(",\"completion_tokens\":").append(r.usage().completion());
            line.append(",\"usage_estimated\":").append(r.usage().estimated());
        }
        return line.append('}').toString();
    }

    private static void text(StringBuilder line, String name, String value) {
        line.append(",\"").append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                line.append('\\').append(c);
            } else if (c < 0x20) {
                line.append(String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        line.append('"');
    }
}
