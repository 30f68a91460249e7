package dev.platemate.gateway.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * Where one attempt's exchange answers (a fallback's, a request sent again with a new token): the client, unless
 * its {@link Screen} declines the answer's head. The head decides, before any byte of it is passed: a declined
 * answer is dropped whole (read to its end, so its
 * connection goes back) and its {@link Owner} goes on when the attempt ends; anything else passes, and from then on
 * everything passes as it comes, a cut included. Once a declined attempt ends, whatever it still says is ignored
 * (the next attempt is the request's now). The usage an attempt books is held until it is known whether its answer
 * counts. Event-loop only.
 */
public final class AttemptSide extends ForwardingClientSide {

    /** What a final answer's head says: null to pass it, else the reason it is declined. */
    public interface Screen {
        String declines(HttpResponse head);
    }

    /** The stage that runs the attempts. */
    public interface Owner {
        /** The answer passes; {@code head} (null when the answer is bytes already) may still gain headers. */
        void passing(HttpHeaders head);

        /** The attempt ended with an answer declined for {@code reason}, dropped: the owner goes on. Once. */
        void declined(String reason);
    }

    private enum Mode { UNDECIDED, PASSING, DECLINED, DECLINED_AND_ENDED }

    private final Owner owner;
    private final Screen screen;
    private Mode mode = Mode.UNDECIDED;
    private String declinedFor;
    private TokenUsage usage;

    /** @param screen what drops an answer ({@code head -> null} for an attempt whose answer always passes) */
    public AttemptSide(ClientSide real, Owner owner, Screen screen) {
        super(real);
        this.owner = owner;
        this.screen = screen;
    }

    /** Decides on the answer's first part: a final head may decline; anything else is bytes for the client. */
    private void decide(HttpObject first) {
        String declined = first instanceof HttpResponse head && head.status().code() >= 200
                ? screen.declines(head) : null;
        if (declined != null) {
            mode = Mode.DECLINED;
            declinedFor = declined;
            return;
        }
        mode = Mode.PASSING;
        owner.passing(first instanceof HttpResponse head ? head.headers() : null);
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

    /** The declined attempt is over: the owner goes on, once. */
    private void ended() {
        if (mode == Mode.DECLINED) {
            mode = Mode.DECLINED_AND_ENDED;
            owner.declined(declinedFor);
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

    /** A cut while a dropped answer was read: nothing of it reached the client, so the owner goes on. */
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
}
