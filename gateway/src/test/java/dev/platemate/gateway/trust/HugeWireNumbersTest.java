package dev.platemate.gateway.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.ScriptedUpstream;
import dev.platemate.gateway.testing.TestGateway;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Numbers from the wire too large for a long of nanoseconds are clamped: the request is answered, and cached. */
class HugeWireNumbersTest {

    @RegisterExtension
    final GatewayExtension env = GatewayExtension.plain();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "max-age=99999999999",
        "s-maxage=99999999999",
        "max-age=60, stale-while-revalidate=99999999999",
        "max-age=60, stale-if-error=99999999999",
        "max-age=999999999999999999999999999999",
    })
    void aHugeFreshnessIsAnsweredAndStored(String cacheControl) throws Exception {
        TestGateway gateway = env.restart(TestGateway.withCache(TestGateway.config(env.upstream().url()),
                "ttl: 10m", "max_size: 4MiB"));
        String path = "/api/cacheable?cc=" + URLEncoder.encode(cacheControl, StandardCharsets.UTF_8);
        HttpResponse<String> first = gateway.get(path);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-cache")).hasValue("MISS");
        HttpResponse<String> second = gateway.get(path);
        assertThat(second.headers().firstValue("x-cache")).as("the second is served from the cache").hasValue("HIT");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(env.upstream().cacheableServed.get()).isEqualTo(1);
    }

    @Test
    void aHugeRetryAfterOnAProvider429EndsWithTheQueueTime() throws Exception {
        try (ScriptedUpstream upstream = new ScriptedUpstream(Map.of("/ai",
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 99999999999\r\nContent-Length: 4\r\n\r\nslow"));
             TestGateway gateway = TestGateway.start(TestGateway.withLimiter(TestGateway.config(upstream.url()),
                     "max_concurrent: 1, max_queue: 5, queue_timeout: 1s"))) {
            HttpResponse<String> answer = gateway.get("/api/ai");
            assertThat(answer.statusCode()).isEqualTo(429);
            assertThat(answer.body()).isEqualTo("slow");
        }
    }
}
