package dev.platemate.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.testing.GatewayExtension;
import dev.platemate.gateway.testing.TestGateway;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scattered failures among many successes never add up to "consecutive" failures. */
class BreakerUnderLoadTest {

    @RegisterExtension
    final GatewayExtension fixture = GatewayExtension.plain();

    @Test
    void onePercentOfFailuresDoesNotOpenTheBreaker() throws Exception {
        TestGateway gateway = fixture.restart(TestGateway.config(fixture.upstream().url(), "retries: 0"));
        List<CompletableFuture<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 50; c++) {
            int client = c;
            clients.add(CompletableFuture.supplyAsync(() -> {
                int open = 0;
                for (int i = 0; i < 200; i++) {
                    String path = (client * 37 + i) % 100 == 99 ? "/api/status/503" : "/api/json?size=10";
                    try {
                        HttpResponse<String> r = gateway.client().send(HttpRequest.newBuilder(gateway.uri(path))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        open += r.body().contains("circuit_open") ? 1 : 0;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return open;
            }));
        }
        int open = 0;
        for (CompletableFuture<Integer> client : clients) {
            open += client.get(60, TimeUnit.SECONDS);
        }
        assertThat(open).isZero();
        assertThat(gateway.gateway().breaker("test").timesOpened()).isZero();
    }
}
