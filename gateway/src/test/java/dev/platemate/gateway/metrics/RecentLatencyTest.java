package dev.platemate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.server.RequestSummary;
import dev.platemate.gateway.server.TokenUsage;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The latency that says whether a provider is healthy is its time to response head: a deep queue or a long
 * stream in front of a quick provider shows only in the end-to-end figures.
 */
class RecentLatencyTest {

    private static RequestSummary summary(String upstream, long totalMillis, long queueMillis, long upstreamMillis)
            throws Exception {
        return new RequestSummary(InetAddress.getLoopbackAddress(), "POST", "/v1/chat/completions", "/openai/",
                upstream, 200, 100, TimeUnit.MILLISECONDS.toNanos(totalMillis), queueMillis, upstreamMillis, "-",
                true, TokenUsage.NONE, "-", List.of(), "-");
    }

    @Test
    void aHealthyProviderBehindADeepQueueOrALongStreamIsStillQuick() throws Exception {
        RecentLatency latency = new RecentLatency();
        for (int i = 0; i < 50; i++) {
            latency.requestEnded(summary("openai", 30_000, 29_700, 300));  // 29.7 s queued, 300 ms to the head
            latency.requestEnded(summary("openai", 120_000, 0, 250));     // a two-minute stream
        }
        latency.requestEnded(summary("openai", 5, -1, -1));              // a cache hit: nothing of the upstream
        latency.requestEnded(new RequestSummary(InetAddress.getLoopbackAddress(), "POST", "/v1/chat/completions",
                "/openai/", "openai", RequestSummary.CLIENT_CLOSED, 0, TimeUnit.MILLISECONDS.toNanos(90_000), 0,
                90_000, "-", false, TokenUsage.NONE, "-", List.of(), "-"));                                     // left before the head: its wait only
        assertThat(latency.millis("openai", 0.95)).isEqualTo(300);
        assertThat(latency.millis("openai", 1)).isEqualTo(300);
        assertThat(latency.millis("openai", 0.5)).isEqualTo(250);
        assertThat(latency.endToEndMillis("openai", 0.95)).isEqualTo(120_000);
        assertThat(latency.millis("deepseek", 0.95)).isZero();
    }
}
