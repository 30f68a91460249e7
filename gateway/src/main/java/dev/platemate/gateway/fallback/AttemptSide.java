package dev.platemate.gateway.fallback;

import dev.platemate.gateway.config.FallbackConfig.Trigger;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.ErrorResponse;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.util.Set;

/**
 * Where one fallback attempt's exchange answers: the client, unless its answer's head is one of the triggers. The
 * head decides, before any byte of it is passed: a trigger drops the whole answer (read to its end, so its
 * connection goes back) and the fallback goes on when the attempt ends; anything else passes, and from then on
 * everything passes as it comes, a cut included. Once a declined attempt ends, whatever it still says is ignored
 * (the next attempt is the request's now). The usage an attempt books is held until it is known whether its answer
 * counts. Event-loop only.
 */
final class AttemptSide implements ClientSide {

    private enum Mode { UNDECIDED, PASSING, DECLINED, DECLINED_AND_ENDED }

    private final ClientSide real;
    private final FallbackExchange fallback;
    private final Set<Trigger> triggers;
    private Mode mode = Mode.UNDECIDED;
    private Trigger declinedFor;
    private TokenUsage usage;

    /** @param triggers what drops the answer; none for the last upstream, whose answer always passes */
    AttemptSide(ClientSide real, FallbackExchange fallback, Set<Trigger> triggers) {
        this.real = real;
        this.fallback = fallback;
        this.triggers = triggers;
    }

    /** What an answer's head says about the upstream, as a trigger; null when it is an answer to pass. */
    static Trigger triggerOf(HttpResponse head) {
        if (head instanceof ErrorResponse own) {
            if (own.aboutCaller()) {
                return null;   // the caller's own limit: every upstream would say the same
            }
            return switch (own.error()) {
                case UPSTREAM_UNAVAILABLE, POOL_EXHAUSTED -> Trigger.CONNECT;
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

    /** Decides on the answer's first part: a final head may decline; anything else is bytes for the client. */
    private void decide(HttpObject first) {
        Trigger trigger = first instanceof HttpResponse head && head.status().code() >= 200 ? triggerOf(head) : null;
        if (trigger != null && triggers.contains(trigger)) {
            mode = Mode.DECLINED;
            declinedFor = trigger;
            return;
        }
        mode = Mode.PASSING;
        fallback.passing(first instanceof HttpResponse head ? head.headers() : null);
        if (usage != null) {
            real.metered(usage);
        }
    }

    @Override
    public void write(HttpObject part) {
        if (mode == Mode.UNDECIDED) {
            decide(part);
        }
        if (mode == Mode.PASSING) {
            real.write(part);
        } else {
            ReferenceCountUtil.release(part);
            real.progressed();   // the attempt moves on, though nothing reaches the client
        }
    }

    /** The declined attempt is over: the fallback goes on, once. */
    private void ended() {
        if (mode == Mode.DECLINED) {
            mode = Mode.DECLINED_AND_ENDED;
            fallback.declined(declinedFor);
        }
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        if (mode == Mode.UNDECIDED) {
            decide(response);
        }
        if (mode == Mode.PASSING) {
            real.respond(response, keepAlive);
        } else {
            response.release();
            ended();
        }
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        if (mode == Mode.PASSING || mode == Mode.UNDECIDED) {
            real.responseComplete(keepAlive);
        } else {
            ended();
        }
    }

    /** A cut while a dropped answer was read: nothing of it reached the client, so the fallback goes on. */
    @Override
    public void abort() {
        if (mode == Mode.PASSING || mode == Mode.UNDECIDED) {
            real.abort();
        } else {
            ended();
        }
    }

    /** Something threw on the attempt: the request ends, unless it was a declined attempt, which just ends. */
    @Override
    public void fail(Throwable cause) {
        if (mode == Mode.PASSING || mode == Mode.UNDECIDED) {
            real.fail(cause);
        } else {
            ended();
        }
    }

    @Override
    public void metered(TokenUsage booked) {
        switch (mode) {
            case PASSING -> real.metered(booked);
            case UNDECIDED -> usage = booked;   // booked just before the answer it is for
            case DECLINED, DECLINED_AND_ENDED -> {
            }
        }
    }

    @Override
    public void flush() {
        if (mode == Mode.PASSING) {
            real.flush();
        }
    }

    @Override
    public boolean isWritable() {
        return mode != Mode.PASSING || real.isWritable();
    }

    @Override
    public void progressed() {
        real.progressed();
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        real.timed(queueMillis, upstreamMillis);
    }

    @Override
    public void identified(String caller) {
        real.identified(caller);
    }

    @Override
    public EventLoop eventLoop() {
        return real.eventLoop();
    }

    @Override
    public InetAddress remoteAddress() {
        return real.remoteAddress();
    }

    @Override
    public boolean keepAliveWanted() {
        return real.keepAliveWanted();
    }

    @Override
    public void suspendReading(boolean suspend) {
        real.suspendReading(suspend);
    }
}
