package dev.platemate.gateway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.Gateway;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.stub.StubUpstream;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The old backend's performance test, on one machine with no network: an embedded {@link StubUpstream} (HTTPS,
 * self-signed), and the same workloads run twice, "before" (direct, a new connection per call) and "after"
 * (through an embedded gateway with warm pools, the AI limiter and the food cache). Blocking; runs on the caller's
 * thread and its own worker threads, never on an event loop.
 */
public final class SelfBench {

    /** What to run. */
    public record Options(Duration aiLatency, int aiLimit, int users, Duration throughputFor) {
    }

    private static final int WORKLOADS = 7;

    private final Options options;
    private final Consumer<String> progress;

    /** @param progress told a line as each workload starts */
    public SelfBench(Options options, Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    public List<Stat> run() throws Exception {
        Path work = Files.createTempDirectory("gateway-bench");
        Path ca = work.resolve("stub-upstream-cert.pem");
        Files.writeString(ca, StubUpstream.certificatePem());
        try (StubUpstream stub = new StubUpstream(new StubUpstream.Settings(options.aiLatency(), options.aiLimit(),
                Duration.ofMillis(20)), Transport.detect())) {
            String upstream = "https://127.0.0.1:" + stub.start("127.0.0.1", 0, -1)[0].getPort();
            Gateway gateway = new Gateway(config(upstream, ca, work), Transport.detect());
            try {
                int port = gateway.start().getPort();
                SSLContext trusting = trusting(StubUpstream.certificatePem());
                Caller before = Caller.newClientPerCall(upstream, () -> HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1).sslContext(trusting)
                        .connectTimeout(Duration.ofSeconds(10)));
                HttpClient shared = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).build();
                String base = "http://127.0.0.1:" + port;
                Caller after = Caller.shared(base + "/fatsecret", base + "/openai", shared);
                return workloads(before, after, base, shared);
            } finally {
                gateway.stop();
            }
        } finally {
            for (String name : new String[] {"stub-upstream-cert.pem", "gateway.yml"}) {
                Files.deleteIfExists(work.resolve(name));
            }
            Files.deleteIfExists(work);
        }
    }

    private List<Stat> workloads(Caller before, Caller after, String gatewayBase, HttpClient client)
            throws Exception {
        List<Stat> stats = new ArrayList<>();
        step(1, "solo request latency");
        stats.add(new Stat("Solo request latency", "ms", medianMillis(before, 5), medianMillis(after, 5), true));
        step(2, "10 sequential requests");
        stats.add(new Stat("10 sequential requests", "ms", timeMillis(() -> sequential(before, 10)),
                timeMillis(() -> sequential(after, 10)), true));
        step(3, "20 concurrent requests");
        stats.add(new Stat("20 concurrent requests", "ms", timeMillis(() -> concurrent(before, 20)),
                timeMillis(() -> concurrent(after, 20)), true));
        step(4, "10 concurrent users");
        double[] tenBefore = users(before, 10);
        double[] tenAfter = users(after, 10);
        stats.add(new Stat("10 concurrent users", "ms", tenBefore[0], tenAfter[0], comparable(tenBefore)));
        step(5, options.users() + " concurrent users");
        double[] manyBefore = users(before, options.users());
        double[] manyAfter = users(after, options.users());
        stats.add(new Stat(options.users() + " concurrent users", "ms", manyBefore[0], manyAfter[0],
                comparable(manyBefore)));
        stats.add(new Stat(options.users() + " users: success rate", "%", manyBefore[1], manyAfter[1], false));
        step(6, "throughput for " + options.throughputFor().toSeconds() + "s");
        stats.add(new Stat("Throughput", "req/s", throughput(before), throughput(after), false));
        step(7, "memory");
        stats.add(new Stat("Gateway memory in use", "MB", Double.NaN, gatewayMemoryMb(gatewayBase, client), null));
        return stats;
    }

    /** Times compare only when every call succeeded direct too: a refused call comes back fast. */
    private static Boolean comparable(double[] before) {
        return before[1] >= 100 ? Boolean.TRUE : null;
    }

    private void step(int n, String what) {
        progress.accept("[" + n + "/" + WORKLOADS + "] " + what + " ...");
    }

    private static double medianMillis(Caller caller, int runs) {
        double[] millis = new double[runs];
        for (int i = 0; i < runs; i++) {
            millis[i] = timeMillis(() -> caller.food("apple"));
        }
        Arrays.sort(millis);
        return millis[runs / 2];
    }

    private static void sequential(Caller caller, int n) {
        for (int i = 0; i < n; i++) {
            caller.food("banana" + i);
        }
    }

    private static void concurrent(Caller caller, int n) {
        inParallel(n, i -> caller.food("rice" + (i % 5)));
    }

    /** Each user asks for one chat completion and two food searches. Returns {total ms, success %}. */
    private static double[] users(Caller caller, int users) {
        LongAdder ok = new LongAdder();
        double millis = timeMillis(() -> inParallel(users, i -> {
            boolean all = caller.chat() & caller.food("oats" + (i % 10)) & caller.food("milk" + (i % 10));
            if (all) {
                ok.increment();
            }
            return all;
        }));
        return new double[] {millis, 100.0 * ok.sum() / users};
    }

    private double throughput(Caller caller) throws InterruptedException {
        LongAdder done = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService workers = Executors.newFixedThreadPool(20);
        long started = System.nanoTime();
        for (int w = 0; w < 20; w++) {
            int worker = w;
            workers.execute(() -> {
                int i = 0;
                while (running.get()) {
                    if (caller.food("bread" + (worker * 7 + i++) % 20)) {
                        done.increment();
                    }
                }
            });
        }
        Thread.sleep(options.throughputFor().toMillis()); // the measuring window itself, not a synchronisation
        running.set(false);
        workers.shutdown();
        workers.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        return done.sum() / ((System.nanoTime() - started) / 1e9);
    }

    private static double gatewayMemoryMb(String base, HttpClient client) throws Exception {
        String report = client.send(HttpRequest.newBuilder(URI.create(base + "/health/performance")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<?, ?> process = (Map<?, ?>) new ObjectMapper().readValue(report, Map.class).get("process");
        return ((Number) process.get("memory_used_bytes")).doubleValue() / 1e6;
    }

    private interface Task {
        boolean run(int index);
    }

    private static void inParallel(int n, Task task) {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                results.add(pool.submit(() -> task.run(index)));
            }
            for (Future<Boolean> result : results) {
                result.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("a benchmark call failed unexpectedly", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double timeMillis(Runnable work) {
        long started = System.nanoTime();
        work.run();
        return (System.nanoTime() - started) / 1e6;
    }

    private GatewayConfig config(String upstream, Path ca, Path work) throws Exception {
        String yaml = """
                server: {listen: 127.0.0.1:0, shutdown_timeout: 5s}
                upstreams:
                  openai:
                    url: %1$s
                    response_timeout: 60s
                    tls: {ca_file: %2$s}
                    pool: {max_connections: 64}
                  fatsecret:
                    url: %1$s
                    tls: {ca_file: %2$s}
                    pool: {max_connections: 64}
                limiters:
                  ai: {max_concurrent: %3$d, max_queue: 1000, queue_timeout: 60s, pause_on_429: true}
                cache: {max_size: 64MiB, max_entry_size: 1MiB}
                routes:
                  - {path: /openai/, upstream: openai, strip_prefix: true, limiter: ai}
                  - {path: /fatsecret/, upstream: fatsecret, strip_prefix: true, cache: {ttl: 10m}}
                """.formatted(upstream, ca, options.aiLimit());
        Files.writeString(work.resolve("gateway.yml"), yaml);
        return new ConfigLoader(Map.of()).load(work.resolve("gateway.yml"));
    }

    private static SSLContext trusting(String pem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("stub", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
