package dev.platemate.gateway.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.probe.Probe.Stage;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An exception thrown at any stage of a request's life ends that exchange with exactly one answer (a 500 in the
 * gateway's JSON shape while nothing was written, else a cut connection) and leaves nothing held: no request in
 * flight, no leased connection, no slot or waiter, no fill, no leaked buffer (TestGateway's close and the leak
 * check assert it). The gateway then serves the same request as usual.
 */
class FaultInjectionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the client sees when the probe throws. */
    enum Outcome { ERROR_500, CUT, ANSWERED }

    private TestUpstream upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = TestUpstream.plain();
    }

    @AfterEach
    void stopUpstream() throws Exception {
        upstream.close();
    }

    static Stream<Arguments> stages() {
        Stream.Builder<Arguments> cases = Stream.builder();
        // a rate-limited, limited, cached route: the response is held until stored, so nothing is written before
        for (Stage stage : Stage.values()) {
            cases.add(Arguments.of("cached", stage, stage == Stage.LISTENERS ? Outcome.ANSWERED : Outcome.ERROR_500));
        }
        // a route relaying plain bytes: once its head went out, a failure can only cut the connection
        Set<Stage> notOnThisRoute = EnumSet.of(Stage.LIMITER_GRANT, Stage.CACHE_LOOKUP, Stage.CACHE_STORE);
        Set<Stage> afterTheHead = EnumSet.of(Stage.BODY_PART, Stage.RESPONSE_COMPLETE);
        for (Stage stage : Stage.values()) {
            if (!notOnThisRoute.contains(stage)) {
                cases.add(Arguments.of("plain", stage, stage == Stage.LISTENERS ? Outcome.ANSWERED
                        : afterTheHead.contains(stage) ? Outcome.CUT : Outcome.ERROR_500));
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "{0} route, thrown at {1}: {2}")
    @MethodSource("stages")
    void aThrowAnywhereEndsTheExchangeOnce(String route, Stage stage, Outcome expected) throws Exception {
        AtomicInteger reached = new AtomicInteger();
        AtomicBoolean armed = new AtomicBoolean(true);
        Probe probe = at -> {
            if (at == stage) {
                reached.incrementAndGet();
                if (armed.compareAndSet(true, false)) {
                    throw new IllegalStateException("injected at " + stage);
                }
            }
        };
        String path = "/" + route + "/cacheable?cc=max-age%3D60";
        try (TestGateway gateway = TestGateway.start(config(upstream.url()), probe)) {
            try (RawClient client = new RawClient(gateway.port())) {
                client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                String head = readHeadOrNull(client);
                await().untilAsserted(() -> assertThat(reached.get()).as("reached " + stage).isPositive());
                switch (expected) {
                    case ERROR_500 -> {
                        assertThat(head).startsWith("HTTP/1.1 500");
                        assertThat(head).containsIgnoringCase("connection: close");
                        String body = client.readBytes(contentLength(head));
                        assertThat(JSON.readTree(body).get("error").get("type").asText()).isEqualTo("internal_error");
                        assertThat(client.closedByServer()).as("nothing follows the one answer").isTrue();
                    }
                    case CUT -> {
                        if (head != null) {
                            assertThat(head).startsWith("HTTP/1.1 200"); // the upstream's, cut short
                            assertThat(client.readToEnd().length()).isLessThan(contentLength(head));
                        }
                    }
                    case ANSWERED -> {
                        assertThat(head).startsWith("HTTP/1.1 200");
                        assertThat(client.readBytes(contentLength(head))).contains("\"n\":");
                    }
                }
            }
            gateway.awaitQuiet();
            assertThat(gateway.get(path).statusCode()).as("served as usual afterwards").isEqualTo(200);
        }
    }

    @Test
    void aThrowInAPipelinedRequestEndsThatRequestNotTheOneBeforeIt() throws Exception {
        // the second request is started from the first one's completion, deep in the upstream connection's read
        AtomicInteger routed = new AtomicInteger();
        Probe probe = at -> {
            if (at == Stage.ROUTE && routed.incrementAndGet() == 2) {
                throw new IllegalStateException("injected in the pipelined request");
            }
        };
        try (TestGateway gateway = TestGateway.start(config(upstream.url()), probe);
             RawClient client = new RawClient(gateway.port())) {
            client.setTimeoutMillis(5_000); // well before the backstop: the answer must not wait for it
            client.send("GET /plain/json?size=10 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /plain/json?size=20 HTTP/1.1\r\nHost: x\r\n\r\n");
            String first = client.readHead();
            assertThat(first).startsWith("HTTP/1.1 200");
            client.readBytes(contentLength(first));
            String second = client.readHead();
            assertThat(second).startsWith("HTTP/1.1 500");
            assertThat(client.readBytes(contentLength(second))).contains("internal_error");
            assertThat(client.closedByServer()).isTrue();
            gateway.awaitQuiet();
        }
    }

    private static String readHeadOrNull(RawClient client) {
        try {
            return client.readHead();
        } catch (IOException cut) {
            return null;
        }
    }

    private static int contentLength(String head) {
        return Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
    }

    private static String config(String url) throws Exception {
        return TestGateway.config(url, "retries: 0").replace("routes:\n", """
                limiters:
                  ai: {max_concurrent: 2, max_queue: 10, queue_timeout: 2s}
                rate_limits:
                  - key: ip
                    requests: 1000
                    per: 1m
                cache: {max_size: 4MiB}
                routes:
                  - path: /cached/
                    upstream: test
                    strip_prefix: true
                    limiter: ai
                    cache: {ttl: 10m}
                  - path: /plain/
                    upstream: test
                    strip_prefix: true
                """);
    }
}
