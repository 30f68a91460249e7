package dev.platemate.gateway.cli;

import dev.platemate.gateway.Gateway;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubUpstream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The gateway on gateway.yml's routes in front of the stand-in providers, in one process, with a "
                + "light load, so that a first run shows something: no keys, no network.")
final class DemoCommand implements Callable<Integer> {

    static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"a meal plan\"}]}";
    static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"a meal plan\"}]}";

    @Mixin
    ConfigOption config;

    @Option(names = "--port", defaultValue = "8080", description = "the gateway's port (default: ${DEFAULT-VALUE})")
    int port;

    /** A running demo: the stand-in, the gateway in front of it, and the load; {@link #close} stops them. */
    record Demo(StubUpstream stub, Gateway gateway, InetSocketAddress address, ScheduledExecutorService load)
            implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            load.shutdownNow();
            try {
                gateway.stop();
            } finally {
                stub.close();
            }
        }
    }

    /** Starts it all: gateway.yml's routes, every upstream pointed at the stand-in, the gateway on {@code port}. */
    static Demo start(GatewayConfig routes, int port) throws Exception {
        StubUpstream stub = new StubUpstream(new StubUpstream.Settings(Duration.ofMillis(300), 5,
                Duration.ofMillis(20)), Transport.detect());
        int stubPort;
        try {
            stubPort = stub.start("127.0.0.1", 0, 0)[1].getPort();
        } catch (Exception e) {
            stub.close();
            throw e;
        }
        Map<String, UpstreamConfig> pointed = new LinkedHashMap<>();
        routes.upstreams().forEach((name, upstream) -> pointed.put(name, upstream.pointedAt("http", "127.0.0.1",
                stubPort)));
        GatewayConfig demo = routes.withUpstreams(pointed).withListen("127.0.0.1", port);   // this machine only
        Gateway gateway = new Gateway(demo, () -> demo, Transport.detect());
        InetSocketAddress address;
        try {
            address = gateway.start();
        } catch (Exception e) {
            try {
                gateway.stop();   // what it started before it failed (a busy port, most likely)
            } finally {
                stub.close();
            }
            throw e;
        }
        return new Demo(stub, gateway, address, lightLoad(address.getPort()));
    }

    /** A chat completion and a food search every half second, so that the dashboard moves. */
    private static ScheduledExecutorService lightLoad(int port) {
        HttpClient http = HttpClient.newHttpClient();
        AtomicLong sent = new AtomicLong();
        ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-load");
            t.setDaemon(true);
            return t;
        });
        load.scheduleAtFixedRate(() -> {
            long n = sent.incrementAndGet();
            String base = "http://127.0.0.1:" + port;
            http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/openai/v1/chat/completions"))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT))
                    .build(), HttpResponse.BodyHandlers.discarding());
            http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/fatsecret/food/search?q=food" + (n % 20))).build(), HttpResponse.BodyHandlers.discarding());
        }, 500, 500, TimeUnit.MILLISECONDS);
        return load;
    }

    @Override
    public Integer call() throws Exception {
        GatewayConfig routes = config.load(Map.of());   // no keys, no Redis: the stand-ins need none
        Demo demo = start(routes, port);
        StopOnShutdown stopped = new StopOnShutdown("demo-shutdown", demo::close);
        String base = "http://127.0.0.1:" + demo.address().getPort();
        System.out.println("""
                The gateway is up on %1$s, in front of a stand-in provider (no keys, no network).
                  dashboard:   %1$s/dashboard
                  a chat completion:
                    curl -s %1$s/openai/v1/chat/completions -H 'content-type: application/json' -d '%2$s'
                  a streamed one:
                    curl -sN %1$s/openai/v1/chat/completions -H 'content-type: application/json' -d '%3$s'
                  a cached food search (twice: X-Cache MISS, then HIT):
                    curl -si '%1$s/fatsecret/food/search?q=apple'
                A light load runs in the background. Ctrl-C stops it all.""".formatted(base, CHAT, STREAM));
        stopped.await();
        return 0;
    }
}
