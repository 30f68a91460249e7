package dev.platemate.gateway.proxy;

import dev.platemate.gateway.auth.TokenSource;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.resilience.UpstreamProtection;
import java.time.Duration;

/**
 * Where a route's requests go and what holds them back: the upstream pool, its header rewriter, the route's
 * limiter (null when none), the upstream's protection (breaker, bucket, retries), its managed token (null when
 * none), and the ticker deadlines are measured by, and the probe told of each stage. Immutable; built once per route.
 */
record ProxyTarget(UpstreamPool pool, HeaderRewriter rewriter, Limiter limiter, UpstreamProtection protection,
                   TokenSource credentials, Ticker ticker, Probe probe) {

    /**
     * The longest a request may wait between taking its token and going out: its queue, its bucket, and a
     * connection (a pooled one, or a new one). A token must outlive it. (A retry after a 5xx goes later, with the
     * same token.)
     */
    long sendWithinNanos() {
        UpstreamConfig upstream = pool.config();
        return upstream.connectTimeout().multipliedBy(2)
                .plus(upstream.rateLimit().map(limit -> limit.maxWait()).orElse(Duration.ZERO))
                .plus(limited() ? limiter.config().queueTimeout() : Duration.ZERO).toNanos();
    }

    boolean limited() {
        return limiter != null;
    }
}
