package dev.platemate.gateway.proxy;

import dev.platemate.gateway.pool.PoolExhaustedException;
import dev.platemate.gateway.server.GatewayError;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.proxy.ProxyConnectException;

/** Maps why an upstream connection could not be had to the error the client gets. */
final class UpstreamFailures {

    private UpstreamFailures() {
    }

    static GatewayError errorFor(Throwable cause) {
        if (cause instanceof PoolExhaustedException) {
            return GatewayError.POOL_EXHAUSTED;
        }
        if (cause instanceof ConnectTimeoutException
                || cause instanceof ProxyConnectException && cause.getMessage() != null
                && cause.getMessage().contains("timeout")) {
            return GatewayError.UPSTREAM_TIMEOUT;
        }
        return GatewayError.UPSTREAM_UNAVAILABLE;
    }

    static String describe(String upstream, Throwable cause) {
        if (cause instanceof PoolExhaustedException) {
            return cause.getMessage();
        }
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return "cannot reach upstream " + upstream + ": " + reason;
    }
}
