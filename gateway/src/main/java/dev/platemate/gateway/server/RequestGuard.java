package dev.platemate.gateway.server;

import dev.platemate.gateway.probe.Probe;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Checks each request as it leaves the HTTP codec: decoder failures become 414, 431 or 400; framing that could
 * desynchronise us from the client or the upstream (Content-Length with Transfer-Encoding, no Host) becomes 400;
 * bodies over {@code server.max_body_size} become 413, by Content-Length before any body byte is read. A refused
 * request is replaced by a {@link RejectedRequest} and everything after it on the connection is dropped.
 * Per channel.
 */
final class RequestGuard extends ChannelInboundHandlerAdapter {

    private final long maxBodyBytes;
    private final ClientTimeouts timeouts;
    private final Probe probe;
    private long bodyBytes;
    private boolean broken;

    RequestGuard(long maxBodyBytes, ClientTimeouts timeouts, Probe probe) {
        this.maxBodyBytes = maxBodyBytes;
        this.timeouts = timeouts;
        this.probe = probe;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest) {
                probe.at(Probe.Stage.DECODE);
            }
        } catch (RuntimeException cause) {
            ReferenceCountUtil.release(msg);
            throw cause; // to InboundHandler, through exceptionCaught
        }
        if (broken) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            timeouts.headComplete();
            bodyBytes = 0;
            RejectedRequest rejection = check(request);
            if (rejection != null) {
                ReferenceCountUtil.release(msg);
                reject(ctx, rejection);
                return;
            }
        }
        if (msg instanceof HttpContent content && !(msg instanceof HttpRequest)) {
            if (content.decoderResult().isFailure()) {
                content.release();
                reject(ctx, new RejectedRequest(GatewayError.BAD_REQUEST, "malformed request body: "
                        + content.decoderResult().cause().getMessage()));
                return;
            }
            bodyBytes += content.content().readableBytes();
            if (bodyBytes > maxBodyBytes) {
                content.release();
                reject(ctx, new RejectedRequest(GatewayError.PAYLOAD_TOO_LARGE,
                        "the request body is larger than " + maxBodyBytes + " bytes"));
                return;
            }
            if (content instanceof LastHttpContent) {
                timeouts.requestReceived();
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void reject(ChannelHandlerContext ctx, RejectedRequest rejection) {
        broken = true;
        ctx.fireChannelRead(rejection);
    }

    private RejectedRequest check(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            String coding = request.headers().get(HttpHeaderNames.TRANSFER_ENCODING, "").toLowerCase(java.util.Locale.ROOT);
            if (!coding.isBlank() && !coding.contains("chunked")) {
                return new RejectedRequest(GatewayError.NOT_IMPLEMENTED, "only chunked Transfer-Encoding is served");
            }
            return decoderFailure(result.cause());
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return new RejectedRequest(GatewayError.VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served");
        }
        HttpHeaders headers = request.headers();
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && version.minorVersion() == 1)) {
            return bad(hosts.isEmpty() ? "the Host header is missing" : "more than one Host header");
        }
        CharSequence lookAlike = FramingNames.lookAlike(headers);
        if (lookAlike != null) {
            return bad("the header name '" + lookAlike + "' reads as a framing header to some servers");
        }
        if (HttpMethod.GET.equals(request.method()) && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1)
                && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY2)) {
            // Netty's decoder reads 8 bytes after such a head as its body; passed on, they would start a request
            return bad("the draft-76 WebSocket handshake (Sec-WebSocket-Key1 and -Key2) is not served");
        }
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty()) {
            if (hasLength) {
                return bad("Content-Length and Transfer-Encoding together");
            }
            if (version.minorVersion() == 0) {
                return bad("Transfer-Encoding on HTTP/1.0");
            }
            String joined = String.join(",", codings).trim().toLowerCase(java.util.Locale.ROOT);
            if (!joined.equals(HttpHeaderValues.CHUNKED.toString())) {
                return joined.endsWith("chunked") || joined.isEmpty() ? bad("unsupported Transfer-Encoding")
                        : new RejectedRequest(GatewayError.NOT_IMPLEMENTED, "only chunked Transfer-Encoding is served");
            }
        }
        if (hasLength) {
            long length;
            try {
                length = Long.parseLong(headers.get(HttpHeaderNames.CONTENT_LENGTH));
            } catch (NumberFormatException e) {
                return bad("invalid Content-Length");
            }
            if (length > maxBodyBytes) {
                return new RejectedRequest(GatewayError.PAYLOAD_TOO_LARGE,
                        "the request body is larger than " + maxBodyBytes + " bytes");
            }
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.equalsIgnoreCase(HttpHeaderValues.CONTINUE.toString())) {
            return new RejectedRequest(GatewayError.EXPECTATION_FAILED, "only Expect: 100-continue is supported");
        }
        return null;
    }

    private static RejectedRequest decoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new RejectedRequest(GatewayError.URI_TOO_LONG, "the request line is too long");
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return new RejectedRequest(GatewayError.HEADERS_TOO_LARGE, "the request headers are too large");
        }
        return bad("malformed request: " + cause.getMessage());
    }

    private static RejectedRequest bad(String message) {
        return new RejectedRequest(GatewayError.BAD_REQUEST, message);
    }
}
