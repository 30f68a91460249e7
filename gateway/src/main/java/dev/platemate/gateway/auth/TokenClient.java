package dev.platemate.gateway.auth;

import dev.platemate.gateway.config.OAuthConfig;
import dev.platemate.gateway.pool.UpstreamConnection;
import dev.platemate.gateway.pool.UpstreamListener;
import dev.platemate.gateway.pool.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One OAuth 2.0 client-credentials request (RFC 6749 §4.4): {@code POST token_url} with HTTP Basic of the client
 * id and secret (form-encoded first, as §2.3.1 says) and {@code grant_type=client_credentials}, over a pool of the
 * token endpoint's own, built with the upstream's TLS settings and egress proxy. It answers the status and at most
 * {@link #MAX_ANSWER} bytes of body, or fails; within connect_timeout + response_timeout of the upstream either way.
 * Runs on one event loop.
 */
final class TokenClient {

    static final int MAX_ANSWER = 64 * 1024;

    /** What the token endpoint said. */
    record Answer(int status, byte[] body) {
    }

    private final UpstreamPool pool;
    private final EventLoop loop;
    private final OAuthConfig config;
    private final long deadlineNanos;

    TokenClient(UpstreamPool pool, EventLoop loop, OAuthConfig config) {
        this.pool = pool;
        this.loop = loop;
        this.config = config;
        this.deadlineNanos = pool.config().connectTimeout().plus(pool.config().responseTimeout()).toNanos();
    }

    /** The longest a request takes: the upstream's connect_timeout + response_timeout. */
    long deadlineNanos() {
        return deadlineNanos;
    }

    /** Sends the request; completes on the client's loop. */
    CompletableFuture<Answer> fetch() {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        loop.execute(() -> new Exchange(answer).start());
        return answer;
    }

    private FullHttpRequest request() {
        String credentials = form(config.clientId()) + ":" + form(config.clientSecret());
        String body = "grant_type=client_credentials"
                + (config.scope().isEmpty() ? "" : "&scope=" + form(config.scope()));
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, config.target(),
                Unpooled.wrappedBuffer(bytes));
        request.headers().set(HttpHeaderNames.HOST, config.authority())
                .set(HttpHeaderNames.AUTHORIZATION, "Basic " + Base64.getEncoder().encodeToString(
                        credentials.getBytes(StandardCharsets.UTF_8)))
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_X_WWW_FORM_URLENCODED)
                .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return request;
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The one request: a connection, the answer read into a bounded buffer, everything given back at its end. */
    private final class Exchange implements UpstreamListener {
        private final CompletableFuture<Answer> answer;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private Future<UpstreamConnection> acquiring;
        private UpstreamConnection connection;
        private ScheduledFuture<?> deadline;
        private int status;

        Exchange(CompletableFuture<Answer> answer) {
            this.answer = answer;
        }

        void start() {
            deadline = loop.schedule(() -> end(null, new IllegalStateException("the token endpoint did not answer "
                    + "within " + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + "ms")), deadlineNanos,
                    TimeUnit.NANOSECONDS);
            acquiring = pool.acquire(loop, true);
            acquiring.addListener(done -> {
                acquiring = null;
                if (!done.isSuccess()) {
                    end(null, new IllegalStateException("cannot reach the token endpoint: "
                            + done.cause().getClass().getSimpleName()));
                } else if (answer.isDone()) {
                    ((UpstreamConnection) done.getNow()).release(false);
                } else {
                    connection = (UpstreamConnection) done.getNow();
                    connection.attach(this, false, false);
                    connection.channel().writeAndFlush(request());
                }
            });
        }

        @Override
        public void onResponsePart(HttpObject part) {
            try {
                if (part instanceof HttpResponse head) {
                    status = head.status().code();
                }
                if (part instanceof HttpContent content) {
                    ByteBuf bytes = content.content();
                    if (body.size() + bytes.readableBytes() > MAX_ANSWER) {
                        end(null, new IllegalStateException("the token endpoint's answer is over "
                                + MAX_ANSWER + " bytes"));
                        return;
                    }
                    body.writeBytes(ByteBufUtil.getBytes(bytes));
                }
                if (part instanceof LastHttpContent && status >= 200) {
                    end(new Answer(status, body.toByteArray()), null);
                }
            } finally {
                ReferenceCountUtil.release(part);
            }
        }

        @Override
        public void onUpstreamReadComplete() {
        }

        @Override
        public void onUpstreamWritabilityChanged() {
        }

        @Override
        public void onUpstreamClosed() {
            end(null, new IllegalStateException("the token endpoint closed the connection before its answer ended"));
        }

        @Override
        public void onUpstreamReadIdle() {
            end(null, new IllegalStateException("the token endpoint went silent"));
        }

        @Override
        public void failed(Throwable cause) {
            end(null, new IllegalStateException("the token request failed: " + cause.getClass().getSimpleName()));
        }

        /** Ends it once, giving back the connection (closed: one request each) and the timer. */
        private void end(Answer result, Throwable error) {
            if (answer.isDone()) {
                return;
            }
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (acquiring != null) {
                acquiring.cancel(false);
            }
            if (connection != null) {
                UpstreamConnection held = connection;
                connection = null;
                held.release(false);
            }
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(result);
            }
        }
    }
}
