package dev.platemate.gateway;

import dev.platemate.gateway.admin.AdminEndpoints;
import dev.platemate.gateway.cache.CacheSweeper;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.cache.ResponseCaches;
import dev.platemate.gateway.config.Durations;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.LimiterConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.LimiterStats;
import dev.platemate.gateway.limiter.Limiters;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.metrics.GatewayMetrics;
import dev.platemate.gateway.pool.PoolStats;
import dev.platemate.gateway.pool.TlsContexts;
import dev.platemate.gateway.pool.UpstreamConnector;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.proxy.GatewayDispatcher;
import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.resilience.RetryBudget;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.proxy.Proxy;
import dev.platemate.gateway.route.Router;
import dev.platemate.gateway.server.GatewayServer;
import dev.platemate.gateway.server.Lifecycle;
import dev.platemate.gateway.server.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every component from the config and passes dependencies down. {@link #start()}
 * and {@link #stop()} are called from the main or shutdown thread.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Transport transport;
    private final Lifecycle lifecycle = new Lifecycle();
    private final Map<String, UpstreamPool> pools = new LinkedHashMap<>();
    private final Map<String, Limiter> limiters = new LinkedHashMap<>();
    private final Map<String, UpstreamProtection> protections = new LinkedHashMap<>();
    private EventLoopGroup acceptor;
    private EventLoopGroup workers;
    private DnsAddressResolverGroup resolver;
    private GatewayServer server;
    private ResponseCache cache;
    private CacheSweeper sweeper;
    private GatewayMetrics metrics;
    private InetSocketAddress address;
    private final AtomicBoolean stopped = new AtomicBoolean();

    public Gateway(GatewayConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
    }

    /** Builds everything and starts listening; returns the address it listens on. */
    public InetSocketAddress start() throws Exception {
        long started = System.nanoTime();
        acceptor = transport.newGroup(1, "gateway-accept");
        workers = transport.newGroup(config.server().ioThreads(), "gateway-io");
        resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.socketChannel()));
        for (UpstreamConfig upstream : config.upstreams().values()) {
            upstream.headers().keySet().stream().filter(name -> !upstream.headersToSend().containsKey(name))
                    .forEach(name -> log.warn("Upstream {}: header {} is empty (is its environment variable set?); "
                            + "the client's own {} goes through instead", upstream.name(), name, name));
            SslContext ssl = upstream.secure() ? TlsContexts.forUpstream(upstream.tls()) : null;
            UpstreamConnector connector = new UpstreamConnector(upstream, transport, ssl, resolver);
            pools.put(upstream.name(), new UpstreamPool(upstream, workers, connector));
        }
        log.info("HTTP client manager initialized: {} upstreams ({})", pools.size(), String.join(", ",
                pools.keySet()));
        for (LimiterConfig limiter : config.limiters().values()) {
            limiters.put(limiter.name(), Limiters.slotQueue(limiter, Ticker.system(), workers.next()));
        }
        cache = ResponseCaches.inMemory(config.cache(), Ticker.system());
        if (config.routes().stream().anyMatch(route -> route.cache().isPresent())) {
            sweeper = new CacheSweeper(cache, config.cache().sweepInterval());
        }
        for (UpstreamConfig upstream : config.upstreams().values()) {
            TokenBucket bucket = upstream.rateLimit()
                    .map(r -> new TokenBucket(r.requests(), r.per(), Ticker.system())).orElse(null);
            protections.put(upstream.name(), new UpstreamProtection(
                    new CircuitBreaker(upstream.circuitBreaker(), Ticker.system()), bucket,
                    upstream.rateLimit().map(r -> r.maxWait()).orElse(java.time.Duration.ZERO), new RetryBudget(),
                    upstream.retries()));
        }
        Proxy proxy = new Proxy(config.routes(), new Proxy.Parts(pools, protections, limiters, cache, new Fills(),
                config.cache(), config.server().trustedProxies(), Ticker.system()));
        metrics = new GatewayMetrics(pools, protections, limiters, cache);
        AdminEndpoints endpoints = new AdminEndpoints(config.admin(), pools, protections, limiters, cache, lifecycle,
                metrics::scrape);
        CallerRateLimits callerLimits = new CallerRateLimits(config.rateLimits(), config.server().trustedProxies(),
                Ticker.system());
        GatewayDispatcher dispatcher = new GatewayDispatcher(new Router(config), endpoints, callerLimits, proxy);
        server = new GatewayServer(config.server(), transport, acceptor, workers, dispatcher, lifecycle);
        address = server.start();
        lifecycle.markReady();
        log.info("Gateway listening on {}:{} ({} transport, {} routes) in {} ms", config.server().host(),
                address.getPort(), transport.name(), config.routes().size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return address;
    }

    /** Drains within {@code server.shutdown_timeout}, then closes every connection and stops the event loops. */
    public void stop() throws InterruptedException {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        if (server != null) {
            log.info("Shutting down: draining {} in-flight requests (up to {})", lifecycle.inFlight(),
                    Durations.format(config.server().shutdownTimeout()));
            server.drain(config.server().shutdownTimeout(), () -> limiters.values().forEach(Limiter::rejectQueued));
        }
        pools.values().forEach(UpstreamPool::closeIdle);
        if (sweeper != null) {
            sweeper.close();
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
        limiters.forEach((name, limiter) -> stats.put(name, limiter.stats()));
        return stats;
    }

    /** The limiter named {@code name}, for run-time changes. */
    public Limiter limiter(String name) {
        return limiters.get(name);
    }

    /** The circuit breaker of upstream {@code name}. */
    public CircuitBreaker breaker(String name) {
        return protections.get(name).breaker();
    }

    public ResponseCache cache() {
        return cache;
    }

    /** Connection counters of every upstream, by name. */
    public Map<String, PoolStats> upstreamStats() {
        Map<String, PoolStats> stats = new LinkedHashMap<>();
        pools.forEach((name, pool) -> stats.put(name, pool.stats()));
        return stats;
    }
}
