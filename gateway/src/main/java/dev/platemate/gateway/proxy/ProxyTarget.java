package dev.platemate.gateway.proxy;

import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.pool.UpstreamPool;

/**
 * Where a route's requests go and what holds them back: the upstream pool, its header rewriter, and the route's
 * limiter (null when none), with the ticker its deadlines are measured by. Immutable; built once per route.
 */
record ProxyTarget(UpstreamPool pool, HeaderRewriter rewriter, Limiter limiter, Ticker ticker) {

    boolean limited() {
        return limiter != null;
    }
}
