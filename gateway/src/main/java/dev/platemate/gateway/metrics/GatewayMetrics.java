package dev.platemate.gateway.metrics;

import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.resilience.UpstreamProtection;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus registry behind {@code GET /metrics}, and the only class that talks to Micrometer. Meters read the
 * components' own counters when scraped, so nothing on the request path pays for them. Names are dotted
 * ({@code gateway.upstream.connections}); dimensions are tags.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public GatewayMetrics(Map<String, UpstreamPool> pools, Map<String, UpstreamProtection> protections,
                          Map<String, Limiter> limiters, ResponseCache cache) {
        pools.forEach((name, pool) -> upstream(registry, name, pool, protections.get(name)));
        limiters.forEach((name, limiter) -> limiter(registry, name, limiter));
        cacheMeters(registry, cache);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
        Gauge.builder("gateway.netty.memory.used", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedDirectMemory()).tag("area", "direct").baseUnit("bytes").register(registry);
        Gauge.builder("gateway.netty.memory.used", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedHeapMemory()).tag("area", "heap").baseUnit("bytes").register(registry);
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    private static void upstream(MeterRegistry registry, String name, UpstreamPool pool, UpstreamProtection p) {
        Tags tags = Tags.of("upstream", name);
        gauge(registry, "gateway.upstream.connections", tags.and("state", "active"), pool, x -> x.stats().active());
        gauge(registry, "gateway.upstream.connections", tags.and("state", "idle"), pool, x -> x.stats().idle());
        gauge(registry, "gateway.upstream.connections", tags.and("state", "pending"), pool, x -> x.stats().pending());
        counter(registry, "gateway.upstream.connects", tags, pool, x -> x.stats().opened());
        counter(registry, "gateway.upstream.connect.failures", tags, pool, x -> x.stats().connectFailures());
        if (p != null) {
            // 0 closed, 1 half open, 2 open
            gauge(registry, "gateway.upstream.circuit.state", tags, p.breaker(), b -> switch (b.state()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                case OPEN -> 2;
            });
            counter(registry, "gateway.upstream.circuit.opened", tags, p.breaker(), CircuitBreaker::timesOpened);
            gauge(registry, "gateway.upstream.retries.active", tags, p.budget(), b -> b.retrying());
        }
    }

    private static void limiter(MeterRegistry registry, String name, Limiter limiter) {
        Tags tags = Tags.of("limiter", name);
        gauge(registry, "gateway.limiter.active", tags, limiter, l -> l.stats().active());
        gauge(registry, "gateway.limiter.queued", tags, limiter, l -> l.stats().queued());
        gauge(registry, "gateway.limiter.max.concurrent", tags, limiter, l -> l.stats().maxConcurrent());
        gauge(registry, "gateway.limiter.wait.p99", tags, limiter, l -> l.stats().waitP99Millis() / 1000.0);
        counter(registry, "gateway.limiter.operations", tags, limiter, l -> l.stats().total());
        counter(registry, "gateway.limiter.rejections", tags.and("reason", "queue_full"), limiter,
                l -> l.stats().rejected());
        counter(registry, "gateway.limiter.rejections", tags.and("reason", "queue_timeout"), limiter,
                l -> l.stats().timedOut());
        counter(registry, "gateway.limiter.cancelled", tags, limiter, l -> l.stats().cancelled());
    }

    private static void cacheMeters(MeterRegistry registry, ResponseCache cache) {
        Tags none = Tags.empty();
        gauge(registry, "gateway.cache.entries", none, cache, c -> c.stats().entries());
        gauge(registry, "gateway.cache.bytes", none, cache, c -> c.stats().bytes());
        counter(registry, "gateway.cache.lookups", Tags.of("result", "hit"), cache, c -> c.stats().hits());
        counter(registry, "gateway.cache.lookups", Tags.of("result", "miss"), cache, c -> c.stats().misses());
        counter(registry, "gateway.cache.lookups", Tags.of("result", "stale"), cache, c -> c.stats().stale());
        counter(registry, "gateway.cache.lookups", Tags.of("result", "bypass"), cache, c -> c.stats().bypasses());
        counter(registry, "gateway.cache.evictions", none, cache, c -> c.stats().evictions());
    }

    private static <T> void gauge(MeterRegistry registry, String name, Tags tags, T source, ToDoubleFunction<T> f) {
        Gauge.builder(name, source, f).tags(tags).register(registry);
    }

    private static <T> void counter(MeterRegistry registry, String name, Tags tags, T source, ToDoubleFunction<T> f) {
        FunctionCounter.builder(name, source, f).tags(tags).register(registry);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
