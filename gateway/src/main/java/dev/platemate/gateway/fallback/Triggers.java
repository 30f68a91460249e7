package dev.platemate.gateway.fallback;

import dev.platemate.gateway.config.FallbackConfig.Trigger;
import dev.platemate.gateway.server.AttemptSide;
import dev.platemate.gateway.server.ErrorResponse;
import io.netty.handler.codec.http.HttpResponse;
import java.util.Set;

/** A fallback attempt's screen: an answer whose head is one of the route's triggers is declined, named by it. */
final class Triggers implements AttemptSide.Screen {

    private final Set<Trigger> on;

    /** @param on the route's {@code fallback_on}; none for the last upstream, whose answer always passes */
    Triggers(Set<Trigger> on) {
        this.on = on;
    }

    @Override
    public String declines(HttpResponse head) {
        Trigger trigger = triggerOf(head);
        return trigger != null && on.contains(trigger) ? trigger.key() : null;
    }

    /** What an answer's head says about the upstream, as a trigger; null when it is an answer to pass. */
    static Trigger triggerOf(HttpResponse head) {
        if (head instanceof ErrorResponse own) {
            if (own.aboutCaller()) {
                return null;   // the caller's own limit: every upstream would say the same
            }
            return switch (own.error()) {
                case UPSTREAM_UNAVAILABLE, POOL_EXHAUSTED, UPSTREAM_AUTH -> Trigger.CONNECT;
                case CIRCUIT_OPEN -> Trigger.CIRCUIT_OPEN;
                case UPSTREAM_TIMEOUT -> Trigger.TIMEOUT;
                case RATE_LIMITED, TOKEN_LIMIT, QUEUE_FULL, QUEUE_TIMEOUT -> Trigger.TOO_MANY_REQUESTS;
                default -> null;   // the gateway's own verdict on the request (shutting down, a bad body...)
            };
        }
        int status = head.status().code();
        if (status == 429) {
            return Trigger.TOO_MANY_REQUESTS;
        }
        return status >= 500 && status <= 599 ? Trigger.SERVER_ERROR : null;
    }
}
