package dev.platemate.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.RedisServer;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestTunnelProxy;
import dev.platemate.gateway.testing.TokenEndpoint;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An upstream whose OAuth 2.0 client-credentials token the gateway manages, against a real token endpoint and the
 * API it guards: one fetch for everyone, refreshed before expiry, fetched again after a 401, never an expired token
 * sent, broken endpoint answers refused, and the secret and the token in no log line and no report.
 */
class ManagedTokenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private TokenEndpoint endpoint;
    private TestGateway gateway;
    private final List<TestGateway> replicas = new ArrayList<>();
    private RedisServer redis;

    @BeforeEach
    void start() throws Exception {
        logged.start();
        root.addAppender(logged);
        endpoint = new TokenEndpoint();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
            for (TestGateway replica : replicas) {
                replica.close();
            }
            endpoint.close();
            if (redis != null) {
                redis.close();
            }
        } finally {
            root.detachAppender(logged);
        }
        for (ILoggingEvent line : logged.list) {
            assertThat(line.getFormattedMessage()).as("a log line").doesNotContain(TokenEndpoint.SECRET)
                    .doesNotContain("tok-");
        }
    }

    private TestGateway gateway(String authExtra) throws Exception {
        return gateway(authExtra, "");
    }

    private TestGateway gateway(String authExtra, String upstreamExtra) throws Exception {
        gateway = TestGateway.start(yaml(authExtra, upstreamExtra, ""),
                Map.of("FOOD_CLIENT_ID", TokenEndpoint.CLIENT_ID, "FOOD_CLIENT_SECRET", TokenEndpoint.SECRET));
        return gateway;
    }

    private String yaml(String authExtra, String upstreamExtra, String top) {
        return """
                server:
                  listen: 127.0.0.1:0
                upstreams:
                  food:
                    url: %s
                    retries: 0
                    connect_timeout: 1s
                %s
                    auth:
                      oauth2_client_credentials:
                        token_url: %s/connect/token
                        client_id: ${FOOD_CLIENT_ID}
                        client_secret: ${FOOD_CLIENT_SECRET}
                        scope: basic
                %s
                routes:
                  - path: /food/
                    upstream: food
                    strip_prefix: true
                %s
                """.formatted(endpoint.url(), upstreamExtra.indent(4).stripTrailing(), endpoint.url(),
                        authExtra.indent(8).stripTrailing(), top);
    }

    private CompletableFuture<HttpResponse<String>> send(String path) {
        return send(gateway, path);
    }

    private static CompletableFuture<HttpResponse<String>> send(TestGateway gateway, String path) {
        return gateway.client().sendAsync(HttpRequest.newBuilder(gateway.uri("/food" + path))
                .header("Authorization", "Bearer the-clients-own").timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(path).get(30, TimeUnit.SECONDS);
    }

    private JsonNode auth() throws Exception {
        return JSON.readTree(gateway.get("/health/performance").body()).path("upstreams").path("food").path("auth");
    }

    @Test
    void oneFetchServesAHundredCallersAndReplacesTheirOwnAuthorization() throws Exception {
        endpoint.delayMillis = 300;
        gateway("");
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(send("/api/search?q=" + i));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"token\":\"tok-1\"");
        }
        assertThat(endpoint.fetches.get()).as("one token request, however many waited").isEqualTo(1);
        assertThat(endpoint.badCredentials.get()).isZero();
        assertThat(auth().path("state").asText()).isEqualTo("valid");
        assertThat(auth().path("expires_at").asText()).isNotEmpty();
    }

    @Test
    void theTokenIsRefreshedBeforeItExpires() throws Exception {
        endpoint.lifetimeSeconds = 10;
        gateway("refresh_before: 5s");
        assertThat(get("/api/a").body()).contains("tok-1");

        await().atMost(Duration.ofSeconds(15)).until(() -> endpoint.fetches.get() >= 2);
        assertThat(get("/api/b").body()).contains("tok-2");
        assertThat(endpoint.deadTokensSeen.get()).isZero();
    }

    @Test
    void anEndpointDownAtStartGives502UpstreamAuthThenRecovers() throws Exception {
        endpoint.answer = new String[] {"503", "{\"error\":\"temporarily_unavailable\"}"};
        gateway("");
        HttpResponse<String> refused = get("/api/a");
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.body()).contains("\"type\":\"upstream_auth\"").contains("answered 503");
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(endpoint.apiCalls.get()).as("nothing sent without a token").isZero();
        assertThat(auth().path("state").asText()).isIn("failing", "fetching");

        endpoint.answer = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/b").statusCode() == 200);
    }

    @Test
    void anExpiredTokenIsNeverSentWhileTheEndpointIsDown() throws Exception {
        endpoint.lifetimeSeconds = 10;
        gateway("refresh_before: 2s");
        assertThat(get("/api/a").statusCode()).isEqualTo(200);
        endpoint.answer = new String[] {"500", ""};

        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/b").statusCode() == 502);
        assertThat(get("/api/c").body()).contains("upstream_auth");
        assertThat(endpoint.deadTokensSeen.get()).as("no dead token reached the API").isZero();
    }

    @Test
    void aBrokenTokenAnswerIsRefusedAndTheNextGoodOneServes() throws Exception {
        gateway("");
        assertThat(get("/api/warm").statusCode()).isEqualTo(200);
        endpoint.revoke(endpoint.lastToken);   // the API refuses the token: the gateway must fetch
        endpoint.answer = new String[] {"200", "{\"access_token\":\"tok-x\",\"expires_in\":-5}"};
        await().atMost(Duration.ofSeconds(10))   // once the token is old enough to drop
                .until(() -> get("/api/x").statusCode() == 502);
        assertThat(auth().path("last_error").asText()).contains("expires_in");
        assertThat(auth().path("state").asText()).isEqualTo("failing");

        endpoint.answer = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/ok").statusCode() == 200);
    }

    @Test
    void a401CuredByANewTokenIsAnsweredAsIfNothingHappened() throws Exception {
        gateway("");
        assertThat(get("/api/a").body()).contains("tok-1");
        endpoint.revoke("tok-1");

        // a token younger than two seconds is kept (a fresh token refused says something else is wrong): its 401
        // is the client's; once older, the 401 drops it and the request goes again with a new one
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/b").statusCode() == 200);
        assertThat(get("/api/b").body()).contains("tok-2");
        assertThat(endpoint.fetches.get()).isEqualTo(2);

        endpoint.revoke("tok-2");
        endpoint.answer = new String[] {"200", "{\"access_token\":\"tok-never-issued\",\"expires_in\":60}"};
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/c").statusCode() == 401
                && endpoint.fetches.get() == 3);   // tok-2 dropped once old enough, the new one refused
        assertThat(get("/api/c").statusCode()).as("the new token refused too: that 401 is relayed").isEqualTo(401);
    }

    @Test
    void theTokenRequestGoesThroughTheUpstreamsEgressProxy() throws Exception {
        try (TestTunnelProxy proxy = new TestTunnelProxy(TestTunnelProxy.Kind.HTTP)) {
            gateway("", "egress_proxy: " + proxy.url());
            assertThat(get("/api/a").statusCode()).isEqualTo(200);
            String endpointAddress = endpoint.url().substring("http://".length());
            assertThat(proxy.tunnels).as("the token request, then the API's").containsExactly(endpointAddress,
                    endpointAddress);
        }
    }

    @Test
    void twoReplicasShareOneTokenAndOneFetchThroughRedis() throws Exception {
        redis = RedisServer.start();
        endpoint.delayMillis = 300;
        String yaml = yaml("", "", "redis: {url: \"" + redis.url() + "\"}");
        Map<String, String> environment = Map.of("FOOD_CLIENT_ID", TokenEndpoint.CLIENT_ID,
                "FOOD_CLIENT_SECRET", TokenEndpoint.SECRET);
        replicas.add(TestGateway.start(yaml, environment));
        replicas.add(TestGateway.start(yaml, environment));
        // both linked to Redis first: a replica whose store has not answered for 2 s fetches alone, by design
        for (TestGateway replica : replicas) {
            await().atMost(Duration.ofSeconds(20)).until(() -> JSON.readTree(replica.get("/health/performance")
                    .body()).path("redis").path("up").asBoolean());
        }
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            answers.add(send(replicas.get(i % 2), "/api/q" + i));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("tok-1");
        }
        assertThat(endpoint.fetches.get()).as("one fetch for both replicas").isEqualTo(1);

        endpoint.revoke("tok-1");
        await().atMost(Duration.ofSeconds(10)).until(() -> send(replicas.get(0), "/api/after")
                .get(30, TimeUnit.SECONDS).body().contains("tok-2"));
        assertThat(send(replicas.get(1), "/api/other").get(30, TimeUnit.SECONDS).body())
                .as("the other replica's 401 finds the new token shared").contains("tok-2");
        assertThat(endpoint.fetches.get()).isEqualTo(2);
    }

    @Test
    void theSecretAndTheTokenAreInNoReport() throws Exception {
        gateway("");
        assertThat(get("/api/a").statusCode()).isEqualTo(200);
        assertThat(gateway.get("/health/performance").body()).doesNotContain(TokenEndpoint.SECRET).doesNotContain("tok-");
        assertThat(gateway.get("/metrics").body()).doesNotContain(TokenEndpoint.SECRET).doesNotContain("tok-");
        assertThat(gateway.gateway().toString()).doesNotContain(TokenEndpoint.SECRET);
    }
}
