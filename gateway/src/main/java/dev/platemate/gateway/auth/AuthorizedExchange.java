package dev.platemate.gateway.auth;

import dev.platemate.gateway.server.AttemptSide;
import dev.platemate.gateway.server.AttemptingExchange;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.ErrorResponse;
import dev.platemate.gateway.server.Exchange;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A request to an upstream whose token the gateway manages, in front of the exchange that sends it (a stage): the
 * body is held whole, a valid token is had ({@link TokenSource#token()}: at once, or after the fetch under way),
 * and the request goes with {@code Authorization: Bearer <token>}, replacing what the client sent. The token must
 * outlive what the request may wait before it is sent (its queue, its bucket, its retries). When the upstream
 * answers 401 to it and nothing reached the client, that answer is dropped, the token too (unless it is a fresh
 * one: then the 401 is the client's), and the request goes once more with a new token; a second 401 is relayed.
 * No token to be had: 502 {@code upstream_auth} with the Retry-After of the next try. Event-loop only.
 */
public final class AuthorizedExchange extends AttemptingExchange {

    /** Opens the exchange that sends {@code request} (a copy with the token), answering to {@code side}. */
    public interface Opener {
        Exchange open(HttpRequest request, ClientSide side);
    }

    private final HttpRequest request;
    private final TokenSource tokens;
    private final long sendWithinNanos;
    private final Opener opener;
    private String sent;
    private boolean resent;

    /** @param sendWithinNanos the longest the request may wait, once it has its token, before it is sent */
    public AuthorizedExchange(ClientSide client, HttpRequest request, TokenSource tokens, long sendWithinNanos,
                              Opener opener) {
        super(client);
        this.request = request;
        this.tokens = tokens;
        this.sendWithinNanos = sendWithinNanos;
        this.opener = opener;
    }

    @Override
    protected void bodyHeld() {
        withToken();
    }

    private void withToken() {
        CompletableFuture<String> token = tokens.token(sendWithinNanos);
        if (token.isDone()) {
            send(token);
        } else {
            token.whenComplete((value, error) -> client.eventLoop().execute(client.guard(() -> send(token))));
        }
    }

    private void send(CompletableFuture<String> token) {
        if (over()) {
            return;
        }
        if (token.isCompletedExceptionally()) {
            answer(NoToken.answerFor(token), true);
            return;
        }
        sent = token.join();
        HttpRequest copy = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers().copy());
        copy.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + sent);
        AttemptSide.Screen screen = resent ? head -> null : this::refusesToken;
        List<HttpContent> parts = resent ? List.copyOf(body.parts()) : body.copies();
        if (resent) {
            body.parts().clear();   // its last use: the parts themselves go
        }
        attempt(() -> opener.open(copy, new AttemptSide(client, this, screen)), parts);
    }

    /** The upstream's own 401: the token it was sent is dropped, and the request goes again (if it was). */
    private String refusesToken(HttpResponse head) {
        boolean refused = head.status().code() == 401 && !(head instanceof ErrorResponse);
        return refused && tokens.rejected(sent) ? "401" : null;
    }

    @Override
    public void passing(HttpHeaders head) {
        body.release();   // it will not be sent again
    }

    @Override
    public void declined(String reason) {
        resent = true;
        next(this::withToken);
    }
}
