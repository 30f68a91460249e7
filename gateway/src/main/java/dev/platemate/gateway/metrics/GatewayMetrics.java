package dev.platemate.gateway.metrics;

import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.config.AiConfig;
import dev.platemate.gateway.limiter.LimiterStats;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.proxy.Proxy;
import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.redis.RedisStats;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.websocket.SessionBook;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The Prometheus registry behind {@code GET /metrics}, and the only class that talks to Micrometer. Meters read the
 * components' own counters when scraped, through the current config's parts, so they follow a reload; only the
 * request histogram is recorded as requests end. Names are dotted ({@code gateway.upstream.connections});
 * dimensions are tags. A meter of an upstream or limiter that a reload removed reads NaN.
 */
public final class GatewayMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Supplier<Proxy.Parts> current;
    private final RequestMetrics requests = new RequestMetrics(registry);
    private final List<Supplier<Number>> sources = new CopyOnWriteArrayList<>();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private AiMetrics ai;

    /**
     * @param current what the routes of the current config use (read at every scrape)
     * @param callers the per-caller rate limits of the current config
     */
    public GatewayMetrics(Supplier<Proxy.Parts> current, Supplier<CallerRateLimits> callers) {
        this.current = current;
        register(current.get());
        cacheMeters(current.get().cache());
        counter("gateway.ratelimit.refusals", Tags.of("scope", "caller", "upstream", "-"),
                () -> callers.get().refusals());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gc.bindTo(registry);
        Gauge.builder("gateway.netty.memory.used", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedDirectMemory()).tag("area", "direct").baseUnit("bytes").register(registry);
        Gauge.builder("gateway.netty.memory.used", PooledByteBufAllocator.DEFAULT,
                a -> a.metric().usedHeapMemory()).tag("area", "heap").baseUnit("bytes").register(registry);
    }

    /** Adds the meters of upstreams and limiters that {@code parts} has and no earlier config had. Any thread. */
    public void register(Proxy.Parts parts) {
        parts.pools().keySet().stream().filter(name -> registered.add("upstream " + name)).forEach(this::upstream);
        parts.limiters().keySet().stream().filter(name -> registered.add("limiter " + name)).forEach(this::limiter);
    }

    /** Adds whether Redis answers ({@code gateway.redis.up}), its errors and the fallbacks to local state. */
    public void redis(Supplier<RedisStats> stats) {
        gauge("gateway.redis.up", Tags.empty(), () -> stats.get().up() ? 1 : 0);
        counter("gateway.redis.errors", Tags.empty(), () -> stats.get().errors());
        counter("gateway.redis.fallbacks", Tags.empty(), () -> stats.get().fallbacks());
    }

    /**
     * Counts the tokens, requests and cost of AI routes; {@code config} gives the current {@code ai:} prices. Called
     * once, before {@link #websockets()}.
     */
    public RequestListener ai(Supplier<AiConfig> config) {
        ai = new AiMetrics(registry, config);
        return ai;
    }

    /** The WebSocket sessions' meters, and their Realtime tokens among the AI routes' (see {@link #ai}). */
    public SessionBook.Listener websockets() {
        return new WebSocketMetrics(registry, ai);
    }

    /** Records every finished request in {@code gateway.requests}. */
    public RequestListener requests() {
        return requests;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    private void upstream(String name) {
        Tags tags = Tags.of("upstream", name);
        Function<ToDoubleFunction<PoolStats>, Supplier<Number>> pool = f -> () -> {
            var found = current.get().pools().get(name);
            return found == null ? Double.NaN : f.applyAsDouble(found.stats());
        };
        Function<ToDoubleFunction<UpstreamProtection>, Supplier<Number>> protection = f -> () -> {
            UpstreamProtection found = current.get().protections().get(name);
            return found == null ? Double.NaN : f.applyAsDouble(found);
        };
        gauge("gateway.upstream.connections", tags.and("state", "active"), pool.apply(PoolStats::active));
        gauge("gateway.upstream.connections", tags.and("state", "idle"), pool.apply(PoolStats::idle));
        gauge("gateway.upstream.connections", tags.and("state", "pending"), pool.apply(PoolStats::pending));
        counter("gateway.upstream.connects", tags, pool.apply(PoolStats::opened));
        counter("gateway.upstream.connect.failures", tags, pool.apply(PoolStats::connectFailures));
        // 0 closed, 1 half open, 2 open
        gauge("gateway.upstream.circuit.state", tags, protection.apply(p -> switch (p.breaker().state()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        }));
        counter("gateway.upstream.circuit.opened", tags, protection.apply(p -> p.breaker().timesOpened()));
        gauge("gateway.upstream.retries.active", tags, protection.apply(p -> p.budget().retrying()));
        counter("gateway.ratelimit.refusals", Tags.of("scope", "upstream", "upstream", name),
                protection.apply(p -> p.bucket() == null ? 0 : p.bucket().refusals()));
    }

    private void limiter(String name) {
        Tags tags = Tags.of("limiter", name);
        Function<ToDoubleFunction<LimiterStats>, Supplier<Number>> stats = f -> () -> {
            var found = current.get().limiters().get(name);
            return found == null ? Double.NaN : f.applyAsDouble(found.stats());
        };
        gauge("gateway.limiter.active", tags, stats.apply(LimiterStats::active));
        gauge("gateway.limiter.queued", tags, stats.apply(LimiterStats::queued));
        gauge("gateway.limiter.max.concurrent", tags, stats.apply(LimiterStats::maxConcurrent));
        gauge("gateway.limiter.wait.p99", tags, stats.apply(s -> s.waitP99Millis() / 1000.0));
        counter("gateway.limiter.operations", tags, stats.apply(LimiterStats::total));
        counter("gateway.limiter.rejections", tags.and("reason", "queue_full"), stats.apply(LimiterStats::rejected));
        counter("gateway.limiter.rejections", tags.and("reason", "queue_timeout"),
                stats.apply(LimiterStats::timedOut));
        counter("gateway.limiter.cancelled", tags, stats.apply(LimiterStats::cancelled));
    }

    private void cacheMeters(ResponseCache cache) {
        Tags none = Tags.empty();
        gauge("gateway.cache.entries", none, () -> cache.stats().entries());
        gauge("gateway.cache.bytes", none, () -> cache.stats().bytes());
        counter("gateway.cache.lookups", Tags.of("result", "hit"), () -> cache.stats().hits());
        counter("gateway.cache.lookups", Tags.of("result", "miss"), () -> cache.stats().misses());
        counter("gateway.cache.lookups", Tags.of("result", "stale"), () -> cache.stats().stale());
        counter("gateway.cache.lookups", Tags.of("result", "bypass"), () -> cache.stats().bypasses());
        counter("gateway.cache.shared.hits", none, () -> cache.stats().sharedHits());
        counter("gateway.cache.evictions", none, () -> cache.stats().evictions());
    }

    private void gauge(String name, Tags tags, Supplier<Number> value) {
        Gauge.builder(name, value).tags(tags).register(registry);
    }

    private void counter(String name, Tags tags, Supplier<Number> value) {
        sources.add(value); // the registry holds a counter's source only weakly
        FunctionCounter.builder(name, value, v -> v.get().doubleValue()).tags(tags).register(registry);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
