package dev.platemate.gateway.wire;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A request whose head was read in place ({@link RawHeaders}). While nothing has changed its headers, the rewrite
 * for the upstream can be made straight from the client's lines into the bytes of the upstream head
 * ({@link #sendAs}), which the upstream's encoder then writes as they are, in place of encoding Netty's headers.
 * From then on nothing of the request's head changes (a change throws), and its headers remain the client's: the
 * rewritten ones exist only as those bytes. Per request; one thread at a time, as its {@link RawHeaders}.
 */
public final class RawHeadRequest extends DefaultHttpRequest {

    private final RawHeaders raw;
    private HeadBytes upstreamHead;

    public RawHeadRequest(HttpMethod method, String uri, RawHeaders headers) {
        super(HttpVersion.HTTP_1_1, method, uri, headers);
        this.raw = headers;
    }

    /** The headers, unless something has changed them: then null, and the head goes the way of Netty's headers. */
    public HeadLines unchangedLines() {
        return raw.unchangedLines();
    }

    /** The request goes to {@code target}, and its upstream head is {@code head}. From now on nothing changes. */
    public void sendAs(String target, HeadBytes head) {
        setUri(target);
        raw.seal();
        this.upstreamHead = head;
    }

    @Override
    public HttpRequest setUri(String uri) {
        sealed();
        return super.setUri(uri);
    }

    @Override
    public HttpRequest setMethod(HttpMethod method) {
        sealed();
        return super.setMethod(method);
    }

    @Override
    public HttpRequest setProtocolVersion(HttpVersion version) {
        sealed();
        return super.setProtocolVersion(version);
    }

    private void sealed() {
        if (upstreamHead != null) {
            throw new IllegalStateException("a request head is not changed once it is ready to go upstream");
        }
    }

    /** What {@link #sendAs} was given, or null. */
    public HeadBytes upstreamHead() {
        return upstreamHead;
    }
}
