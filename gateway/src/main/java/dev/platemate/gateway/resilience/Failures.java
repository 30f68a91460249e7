package dev.platemate.gateway.resilience;

import dev.platemate.gateway.limiter.Rejection;
import dev.platemate.gateway.pool.PoolExhaustedException;
import dev.platemate.gateway.server.GatewayError;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.proxy.ProxyConnectException;

/** Maps why a request could not be served (no connection, no slot) to the error the client gets. */
public final class Failures {

    private Failures() {
    }

    public static GatewayError errorFor(Throwable cause) {
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

    public static GatewayError errorFor(Rejection rejection) {
        return switch (rejection) {
            case QUEUE_FULL -> GatewayError.QUEUE_FULL;
            case QUEUE_TIMEOUT -> GatewayError.QUEUE_TIMEOUT;
            case SHUTTING_DOWN -> GatewayError.SHUTTING_DOWN;
        };
    }

    public static String describe(String limiter, Rejection rejection) {
        return switch (rejection) {
            case QUEUE_FULL -> "the " + limiter + " queue is full; try again later";
            case QUEUE_TIMEOUT -> "waited longer than the " + limiter + " queue timeout for a slot";
            case SHUTTING_DOWN -> "the gateway is shutting down";
        };
    }

    public static String describe(String upstream, Throwable cause) {
        if (cause instanceof PoolExhaustedException) {
            return cause.getMessage();
        }
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return "cannot reach upstream " + upstream + ": " + reason;
    }
}
