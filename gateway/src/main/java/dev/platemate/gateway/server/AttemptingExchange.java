package dev.platemate.gateway.server;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import java.util.List;
import java.util.function.Supplier;

/**
 * A stage that may send a request more than once (a fallback to another upstream, a resend with a new token): it
 * holds the body whole, then runs attempts, each an exchange of its own answering to an {@link AttemptSide}.
 * Until the first attempt an abort answers the error itself; the client's events go to the current attempt; a
 * client that leaves ends it all and releases the body. Event-loop only.
 */
public abstract class AttemptingExchange implements Exchange, AttemptSide.Owner {

    protected final ClientSide client;
    protected final HeldBody body = new HeldBody();
    private Exchange current;
    private boolean started;
    private boolean over;

    protected AttemptingExchange(ClientSide client) {
        this.client = client;
    }

    @Override
    public final void onRequestContent(HttpContent content) {
        if (over || started) {
            content.release();   // nothing comes after the last part; a later part has no one to go to
            return;
        }
        if (body.hold(content)) {
            started = true;
            bodyHeld();
        }
    }

    /** The body is whole: the first attempt may go. */
    protected abstract void bodyHeld();

    /** Opens an attempt, which becomes the current one, and gives it {@code parts} (see HeldBody#openWith). */
    protected final void attempt(Supplier<Exchange> opener, List<HttpContent> parts) {
        HeldBody.openWith(opener, opened -> current = opened, parts);
    }

    /** Runs {@code step} once the attempt that declined has returned, unless the request is over by then. */
    protected final void next(Runnable step) {
        client.eventLoop().execute(client.guard(() -> {
            if (!over) {
                step.run();
            }
        }));
    }

    /** Ends the request with the stage's own answer (no attempt went, or none can). */
    protected final void answer(FullHttpResponse response, boolean keepAlive) {
        over = true;
        body.release();
        client.respond(response, keepAlive);
    }

    protected final boolean over() {
        return over;
    }

    /** Before the body is whole (a broken or too large one): nothing went anywhere yet. */
    @Override
    public final void abort(GatewayError error, String message) {
        if (current != null) {
            current.abort(error, message);
        } else if (!over) {
            answer(Responses.error(error, message), false);
        }
    }

    @Override
    public final void onClientWritabilityChanged() {
        if (current != null) {
            current.onClientWritabilityChanged();
        }
    }

    @Override
    public final void onClientClosed() {
        over = true;
        body.release();
        if (current != null) {
            current.onClientClosed();
        }
    }
}
