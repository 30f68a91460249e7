package dev.platemate.gateway;

import dev.platemate.gateway.auth.SharedTokens;
import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.cache.Fills;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.config.LimiterConfig;
import dev.platemate.gateway.config.OAuthConfig;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Limiters;
import dev.platemate.gateway.limiter.SharedSlots;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.TlsContexts;
import dev.platemate.gateway.pool.UpstreamConnector;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.proxy.GatewayDispatcher;
import dev.platemate.gateway.proxy.Proxy;
import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.ratelimit.SharedBuckets;
import dev.platemate.gateway.ratelimit.TokenBucket;
import dev.platemate.gateway.resilience.CircuitBreaker;
import dev.platemate.gateway.resilience.RetryBudget;
import dev.platemate.gateway.resilience.UpstreamProtection;
import dev.platemate.gateway.route.Router;
import dev.platemate.gateway.server.Transport;
import dev.platemate.gateway.websocket.SessionBook;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything requests use that one config describes: pools, protections, limiters, routes and caller limits.
 * {@link #next} builds the following generation for a reloaded config and reuses what did not change: an upstream
 * whose config is equal keeps its pool, breaker and bucket; a limiter that stays is reconfigured in place, so its
 * queue and slots carry over. Built off the event loops, on the thread that starts or reloads the gateway.
 */
final class Generation {

    /**
     * What every generation shares: threads, the resolver, the response cache, and, when replicas share state
     * through Redis, the shared slot count and buckets (else null); the probe told of each request's stages.
     */
    record Shared(Transport transport, EventLoopGroup workers, AddressResolverGroup<InetSocketAddress> resolver,
                  ResponseCache cache, Fills fills, Ticker ticker, SharedSlots slots, SharedBuckets buckets,
                  SharedTokens tokens, SessionBook sessions, Probe probe) {
    }

    final GatewayConfig config;
    final Map<String, UpstreamPool> pools;
    final Map<String, UpstreamProtection> protections;
    /** The managed tokens of upstreams with {@code auth}, by upstream. */
    final Map<String, TokenSource> credentials;
    final Map<String, Limiter> limiters;
    final CallerRateLimits callerLimits;
    final Proxy proxy;
    /** What changed from the previous generation, for the log and the reload answer. */
    final List<String> changes;

    private Generation(GatewayConfig config, Map<String, UpstreamPool> pools,
                       Map<String, UpstreamProtection> protections, Map<String, TokenSource> credentials,
                       Map<String, Limiter> limiters, CallerRateLimits callerLimits, Shared shared,
                       List<String> changes) {
        this.config = config;
        this.pools = Collections.unmodifiableMap(pools);
        this.protections = Collections.unmodifiableMap(protections);
        this.credentials = Collections.unmodifiableMap(credentials);
        this.limiters = Collections.unmodifiableMap(limiters);
        this.callerLimits = callerLimits;
        this.proxy = new Proxy(config.routes(), new Proxy.Parts(this.pools, this.protections, this.credentials,
                this.limiters, shared.cache(), shared.fills(), config.cache(), config.server().trustedProxies(),
                shared.ticker(), shared.sessions(), shared.probe()));
        this.changes = List.copyOf(changes);
    }

    static Generation first(GatewayConfig config, Shared shared) throws IOException, GeneralSecurityException {
        return next(null, config, shared);
    }

    /**
     * The generation for {@code config}, reusing what {@code previous} (null at start) built for equal parts.
     * Fails (and builds nothing that needs closing) when an upstream's TLS settings cannot be loaded.
     */
    static Generation next(Generation previous, GatewayConfig config, Shared shared) throws IOException, GeneralSecurityException {
        List<String> changes = new ArrayList<>();
        Map<String, UpstreamPool> pools = new LinkedHashMap<>();
        Map<String, UpstreamProtection> protections = new LinkedHashMap<>();
        Map<String, TokenSource> credentials = new LinkedHashMap<>();
        for (UpstreamConfig upstream : config.upstreams().values()) {
            UpstreamPool old = previous == null ? null : previous.pools.get(upstream.name());
            if (old != null && old.config().equals(upstream)) {
                pools.put(upstream.name(), old);
                protections.put(upstream.name(), previous.protections.get(upstream.name()));
                if (previous.credentials.containsKey(upstream.name())) {
                    credentials.put(upstream.name(), previous.credentials.get(upstream.name()));
                }
                continue;
            }
            pools.put(upstream.name(), new UpstreamPool(upstream, shared.workers(), connector(upstream, shared)));
            protections.put(upstream.name(), protection(upstream, shared));
            if (upstream.auth().isPresent()) {
                UpstreamConfig endpoint = tokenEndpoint(upstream, upstream.auth().get());
                credentials.put(upstream.name(), new TokenSource(upstream.name(), upstream.auth().get(),
                        new UpstreamPool(endpoint, shared.workers(), connector(endpoint, shared)),
                        shared.workers().next(), shared.tokens()));   // started once this generation is taken
            }
            if (previous != null) {
                changes.add("upstreams." + upstream.name());
            }
        }
        Map<String, Limiter> limiters = new LinkedHashMap<>();
        for (LimiterConfig limiter : config.limiters().values()) {
            Limiter old = previous == null ? null : previous.limiters.get(limiter.name());
            if (old == null) {
                limiters.put(limiter.name(), shared.slots() == null
                        ? Limiters.slotQueue(limiter, shared.ticker(), shared.workers().next())
                        : Limiters.sharedSlotQueue(limiter, shared.ticker(), shared.workers().next(), shared.slots()));
                if (previous != null) {
                    changes.add("limiters." + limiter.name());
                }
            } else {
                if (!previous.config.limiters().get(limiter.name()).equals(limiter)) {
                    old.reconfigure(limiter);
                    changes.add("limiters." + limiter.name());
                }
                limiters.put(limiter.name(), old);
            }
        }
        CallerRateLimits callerLimits;
        if (previous != null && previous.config.rateLimits().equals(config.rateLimits())
                && previous.config.server().trustedProxies().equals(config.server().trustedProxies())) {
            callerLimits = previous.callerLimits;
        } else {
            callerLimits = new CallerRateLimits(config.rateLimits(), config.server().trustedProxies(),
                    shared.ticker(), shared.buckets());
            if (previous != null) {
                changes.add("rate_limits");
            }
        }
        if (previous != null) {
            previous.pools.keySet().stream().filter(name -> !pools.containsKey(name))
                    .forEach(name -> changes.add("upstreams." + name + " (removed)"));
            previous.limiters.keySet().stream().filter(name -> !limiters.containsKey(name))
                    .forEach(name -> changes.add("limiters." + name + " (removed)"));
            if (!previous.config.routes().equals(config.routes())) {
                changes.add("routes");
            }
            if (!previous.config.server().trustedProxies().equals(config.server().trustedProxies())) {
                changes.add("server.trusted_proxies");
            }
        }
        return new Generation(config, pools, protections, credentials, limiters, callerLimits, shared, changes);
    }

    private static UpstreamConnector connector(UpstreamConfig upstream, Shared shared)
            throws IOException, GeneralSecurityException {
        SslContext ssl = upstream.secure() ? TlsContexts.forUpstream(upstream.tls()) : null;
        return new UpstreamConnector(upstream, shared.transport(), ssl, shared.resolver());
    }

    /** Where an upstream's token comes from, reached as the upstream is: its TLS settings, egress proxy, timeouts. */
    private static UpstreamConfig tokenEndpoint(UpstreamConfig upstream, OAuthConfig auth) {
        return new UpstreamConfig(upstream.name() + "-token", auth.scheme(), auth.host(), auth.port(), "",
                upstream.connectTimeout(), upstream.responseTimeout(), upstream.idleTimeout(), Map.of(),
                upstream.tls(), upstream.egressProxy(), upstream.pool(), Optional.empty(), Optional.empty(),
                upstream.circuitBreaker(), 0, Optional.empty());
    }

    /** The managed tokens this generation made (not taken over from {@code previous}, which may be null). */
    List<TokenSource> newCredentialsSince(Generation previous) {
        return credentials.entrySet().stream().filter(entry -> previous == null
                || previous.credentials.get(entry.getKey()) != entry.getValue()).map(Map.Entry::getValue).toList();
    }

    /** The managed tokens of {@code previous} this generation no longer uses. */
    List<TokenSource> retiredCredentialsFrom(Generation previous) {
        List<TokenSource> retired = new ArrayList<>();
        previous.credentials.forEach((name, source) -> {
            if (!Objects.equals(credentials.get(name), source)) {
                retired.add(source);
            }
        });
        return retired;
    }

    private static UpstreamProtection protection(UpstreamConfig upstream, Shared shared) {
        TokenBucket bucket = upstream.rateLimit().map(r -> new TokenBucket(r.requests(), r.per(), shared.ticker(),
                shared.buckets(), "upstream:" + upstream.name())).orElse(null);
        TokenBucket aiTokens = upstream.tokenLimit().map(t -> new TokenBucket(t.tokens(), t.per(), shared.ticker(),
                shared.buckets(), "tokens:" + upstream.name())).orElse(null);
        return new UpstreamProtection(new CircuitBreaker(upstream.circuitBreaker(), shared.ticker()), bucket,
                upstream.rateLimit().map(r -> r.maxWait()).orElse(Duration.ZERO), new RetryBudget(),
                upstream.retries(), aiTokens);
    }

    /** What requests are dispatched by under this generation. */
    GatewayDispatcher.Routes routes() {
        return new GatewayDispatcher.Routes(new Router(config), proxy, callerLimits);
    }

    /** The pools of {@code previous} this generation no longer uses. */
    List<UpstreamPool> retiredFrom(Generation previous) {
        List<UpstreamPool> retired = new ArrayList<>();
        previous.pools.forEach((name, pool) -> {
            if (!Objects.equals(pools.get(name), pool)) {
                retired.add(pool);
            }
        });
        return retired;
    }

    /** Settings that take effect only at a restart and differ between {@code previous} and this generation. */
    List<String> restartRequired(Generation previous) {
        List<String> sections = new ArrayList<>();
        GatewayConfig old = previous.config;
        // trusted_proxies applies at once: the header rewriters and caller limits are rebuilt with it
        if (!old.server().withTrustedProxies(List.of()).equals(config.server().withTrustedProxies(List.of()))) {
            sections.add("server");
        }
        if (!old.admin().equals(config.admin())) {
            sections.add("admin");
        }
        if (!old.cache().equals(config.cache())) {
            sections.add("cache");
        }
        if (!old.redis().equals(config.redis())) {
            sections.add("redis");
        }
        return sections;
    }
}
