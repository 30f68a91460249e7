package dev.platemate.gateway;

import dev.platemate.gateway.admin.AdminEndpoints;
import dev.platemate.gateway.admin.ReloadResult;
import dev.platemate.gateway.auth.SharedTokens;
import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.cache.CacheSweeper;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.cache.ResponseCaches;
import dev.platemate.gateway.config.ConfigException;
import dev.platemate.gateway.config.ConfigSource;
import dev.platemate.gateway.config.Durations;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.LimiterStats;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.metrics.AccessLog;
import dev.platemate.gateway.metrics.AiCallers;
import dev.platemate.gateway.metrics.GatewayMetrics;
import dev.platemate.gateway.metrics.RecentLatency;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.proxy.GatewayDispatcher;
import dev.platemate.gateway.ratelimit.SharedBuckets;
import dev.platemate.gateway.redis.RedisCacheStore;
import dev.platemate.gateway.redis.RedisLink;
import dev.platemate.gateway.redis.RedisSlots;
import dev.platemate.gateway.redis.RedisTokens;
import dev.platemate.gateway.redis.RedisStats;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.server.GatewayServer;
import dev.platemate.gateway.server.Lifecycle;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.websocket.SessionBook;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component from the config and passes dependencies down. {@link #start()}
 * and {@link #stop()} are called from the main or shutdown thread; {@link #reload()} from any thread, and it does
 * its work on a thread of its own.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig initial;
    private final ConfigSource source;
    private final Transport transport;
    private final Probe probe;
    private final Lifecycle lifecycle = new Lifecycle();
    private final ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "gateway-reload");
        thread.setDaemon(true);
        return thread;
    });
    private final List<UpstreamPool> retired = new ArrayList<>();
    private final Fills fills = new Fills();
    private final SessionBook sessions = new SessionBook();
    private volatile Generation generation;
    private ScheduledFuture<?> sampling;
    private AdminEndpoints dashboard;
    private EventLoopGroup acceptor;
    private EventLoopGroup workers;
    private DnsAddressResolverGroup resolver;
    private Generation.Shared shared;
    private GatewayDispatcher dispatcher;
    private volatile GatewayServer server;
    private CacheSweeper sweeper;
    private RedisLink redis;
    private RedisSlots slots;
    private GatewayMetrics metrics;
    private InetSocketAddress address;
    private final AtomicBoolean stopped = new AtomicBoolean();

    /** A gateway whose reloads read {@code config} again (that is, change nothing). */
    public Gateway(GatewayConfig config, Transport transport) {
        this(config, () -> config, transport);
    }

    /** @param source what {@link #reload()} reads: usually the file {@code config} came from */
    public Gateway(GatewayConfig config, ConfigSource source, Transport transport) {
        this(config, source, transport, Probe.NONE);
    }

    /** @param probe told of each request's stages ({@link Probe#NONE} but in fault-injection tests) */
    public Gateway(GatewayConfig config, ConfigSource source, Transport transport, Probe probe) {
        this.initial = config;
        this.source = source;
        this.transport = transport;
        this.probe = probe;
    }

    /** Builds everything and starts listening; returns the address it listens on. */
    public InetSocketAddress start() throws Exception {
        long started = System.nanoTime();
        GatewayConfig config = initial;
        acceptor = transport.newGroup(1, "gateway-accept");
        workers = transport.newGroup(config.server().ioThreads(), "gateway-io");
        resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.socketChannel()));
        warnAboutEmptyHeaders(config);
        ResponseCache cache;
        SharedBuckets buckets = null;
        SharedTokens tokens = null;
        if (config.redis().enabled()) {
            redis = RedisLink.connect(config.redis());
            slots = new RedisSlots(redis, workers.next());
            buckets = new SharedBuckets(redis);
            tokens = new RedisTokens(redis);
            cache = ResponseCaches.tiered(config.cache(), Ticker.system(), new RedisCacheStore(redis));
        } else {
            cache = ResponseCaches.inMemory(config.cache(), Ticker.system());
        }
        shared = new Generation.Shared(transport, workers, resolver, cache, fills, Ticker.system(), slots,
                buckets, tokens, sessions, probe);
        generation = Generation.first(config, shared);
        generation.newCredentialsSince(null).forEach(TokenSource::start);
        log.info("HTTP client manager initialized: {} upstreams ({})", generation.pools.size(),
                String.join(", ", generation.pools.keySet()));
        startSweeperIfCached(config);
        metrics = new GatewayMetrics(() -> generation.proxy.parts(), () -> generation.callerLimits);
        if (redis != null) {
            metrics.redis(redis::stats);
        }
        RecentLatency latency = new RecentLatency();
        AiCallers aiCallers = new AiCallers();
        AdminEndpoints endpoints = new AdminEndpoints(config.admin(), new AdminEndpoints.Sources(
                () -> generation.proxy.parts(), latency, () -> server == null ? 0 : server.openConnections(),
                lifecycle, this::redisStats, aiCallers), metrics::scrape, this::reload);
        dispatcher = new GatewayDispatcher(endpoints, generation.routes());
        AccessLog accessLog = new AccessLog();
        server = new GatewayServer(config.server(), transport, acceptor, workers, dispatcher,
                metrics.requests().andThen(metrics.ai(() -> generation.config.ai())).andThen(aiCallers)
                        .andThen(latency).andThen(endpoints.seriesListener()).andThen(accessLog), lifecycle,
                probe);
        sessions.listen(metrics.websockets());
        sessions.listen(accessLog);
        address = server.start();
        dashboard = endpoints;
        sampling = endpoints.startSampling();
        lifecycle.markReady();
        log.info("Gateway listening on {}:{} ({} transport, {} routes) in {} ms", config.server().host(),
                address.getPort(), transport.name(), config.routes().size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return address;
    }

    /**
     * Re-reads the config and swaps it in, if it is valid: requests dispatched from then on use it, while those in
     * flight or queued finish as they started. An invalid config changes nothing and its errors are logged and
     * returned. The work runs on the reload thread, one reload at a time.
     */
    public CompletableFuture<ReloadResult> reload() {
        return CompletableFuture.supplyAsync(this::reloadNow, reloader);
    }

    private ReloadResult reloadNow() {
        GatewayConfig next;
        try {
            next = source.load();
        } catch (ConfigException e) {
            log.error("Reload refused, the running config stays: {}", String.join("; ", e.errors()));
            return ReloadResult.refused(e.errors());
        }
        Generation previous = generation;
        Generation built;
        try {
            built = Generation.next(previous, next, shared);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            log.error("Reload refused, the running config stays: {}", e.getMessage());
            return ReloadResult.refused(List.of(String.valueOf(e.getMessage())));
        }
        warnAboutEmptyHeaders(next);
        metrics.register(built.proxy.parts());
        generation = built;
        dispatcher.swap(built.routes());
        startSweeperIfCached(next);
        built.newCredentialsSince(previous).forEach(TokenSource::start);   // a refused reload starts none
        built.retiredCredentialsFrom(previous).forEach(TokenSource::close);
        List<UpstreamPool> unused = built.retiredFrom(previous);
        unused.forEach(UpstreamPool::retire);
        synchronized (retired) {
            retired.removeIf(UpstreamPool::drained);
            retired.addAll(unused);
        }
        List<String> restart = built.restartRequired(previous);
        log.info("Configuration reloaded: {} routes; changed: {}{}", next.routes().size(),
                built.changes.isEmpty() ? "nothing" : String.join(", ", built.changes),
                restart.isEmpty() ? "" : "; take effect at the next start: " + String.join(", ", restart));
        return new ReloadResult(List.of(), built.changes, restart);
    }

    private void startSweeperIfCached(GatewayConfig config) {
        if (sweeper == null && config.routes().stream().anyMatch(route -> route.cache().isPresent())) {
            sweeper = new CacheSweeper(shared.cache(), initial.cache().sweepInterval());
        }
    }

    private static void warnAboutEmptyHeaders(GatewayConfig config) {
        for (UpstreamConfig upstream : config.upstreams().values()) {
            upstream.headers().keySet().stream().filter(name -> !upstream.headersToSend().containsKey(name))
                    .forEach(name -> log.warn("Upstream {}: header {} is empty (is its environment variable set?); "
                            + "the client's own {} goes through instead", upstream.name(), name, name));
        }
    }

    /** Drains within {@code server.shutdown_timeout}, then closes every connection and stops the event loops. */
    public void stop() throws InterruptedException {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        reloader.shutdownNow();
        if (sampling != null) {
            sampling.cancel(false);
            dashboard.stopSampling();
        }
        if (server != null) {
            log.info("Shutting down: draining {} in-flight requests (up to {})", lifecycle.inFlight(),
                    Durations.format(initial.server().shutdownTimeout()));
            server.drain(initial.server().shutdownTimeout(),
                    () -> generation.limiters.values().forEach(Limiter::rejectQueued));
        }
        if (generation != null) {
            generation.credentials.values().forEach(TokenSource::close);
            generation.pools.values().forEach(UpstreamPool::closeIdle);
        }
        synchronized (retired) {
            retired.forEach(UpstreamPool::closeIdle);
        }
        if (sweeper != null) {
            sweeper.close();
        }
        if (slots != null) {
            slots.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (resolver != null) {
            resolver.close();
        }
        for (EventLoopGroup group : new EventLoopGroup[] {acceptor, workers}) {
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            }
        }
        log.info("Gateway stopped");
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public InetSocketAddress address() {
        return address;
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    public int openClientConnections() {
        return server.openConnections();
    }

    /** Slot and queue counters of every limiter, by name. */
    public Map<String, LimiterStats> limiterStats() {
        Map<String, LimiterStats> stats = new LinkedHashMap<>();
        generation.limiters.forEach((name, limiter) -> stats.put(name, limiter.stats()));
        return stats;
    }

    /** The limiter named {@code name}, for run-time changes. */
    public Limiter limiter(String name) {
        return generation.limiters.get(name);
    }

    /** The circuit breaker of upstream {@code name}. */
    public CircuitBreaker breaker(String name) {
        return generation.protections.get(name).breaker();
    }

    /** Whether Redis answers, with its error and fallback counts; null when no redis.url is set. */
    public RedisStats redisStats() {
        return redis == null ? null : redis.stats();
    }

    public ResponseCache cache() {
        return shared.cache();
    }

    /** Cache fills in flight: identical misses waiting on one upstream request. */
    public int fillsInFlight() {
        return fills.inFlight();
    }

    /**
     * Connection counters of every upstream, by name, with those a reload retired while they still hold any; a
     * retired pool is dropped once its last connection has closed.
     */
    public Map<String, PoolStats> upstreamStats() {
        Map<String, PoolStats> stats = new LinkedHashMap<>();
        generation.pools.forEach((name, pool) -> stats.put(name, pool.stats()));
        synchronized (retired) {
            retired.removeIf(UpstreamPool::drained);
            for (int i = 0; i < retired.size(); i++) {
                stats.put(retired.get(i).name() + " (retired " + (i + 1) + ")", retired.get(i).stats());
            }
        }
        return stats;
    }
}
