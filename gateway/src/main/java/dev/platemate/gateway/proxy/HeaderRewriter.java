package dev.platemate.gateway.proxy;

import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.UpstreamConfig;
import dev.platemate.gateway.wire.HeadLines;
import dev.platemate.gateway.wire.HopByHop;
import dev.platemate.gateway.wire.RawHeadRequest;
import dev.platemate.gateway.wire.Tokens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Rewrites heads crossing the gateway for one upstream: hop-by-hop headers (and those named in Connection) go,
 * Host becomes the upstream's, X-Forwarded-* and Via are set, the configured upstream headers are applied.
 * Transfer-Encoding stays, because bodies are relayed in the framing they arrived in. Immutable; any thread.
 */
final class HeaderRewriter {

    private static final String VIA = "1.1 platemate-gateway";
    private static final AsciiString[] HOP_BY_HOP = HopByHop.NAMES.stream().map(AsciiString::cached)
            .toArray(AsciiString[]::new);

    private static final String[] UPSTREAM_TIMINGS = new String[256];
    private static final byte[] VIA_LINE = ascii("via: " + VIA + "\r\n");
    private static final byte[] SERVER_TIMING_PREFIX = ascii("server-timing: ");
    private static final byte[] CONNECTION_CLOSE_LINE = ascii("connection: close\r\n");
    private static final short CRLF = ('\r' << 8) | '\n';

    static {
        for (int i = 0; i < UPSTREAM_TIMINGS.length; i++) {
            UPSTREAM_TIMINGS[i] = "upstream;dur=" + i;
        }
    }

    private final String authority;
    private final String[] upstreamNames;     // the configured headers, in order
    private final String[] upstreamValues;
    private final boolean plainUpstreamHeaders;
    private final List<Cidr> trustedProxies;

    HeaderRewriter(UpstreamConfig upstream, List<Cidr> trustedProxies) {
        this.authority = upstream.authority();
        Map<String, String> upstreamHeaders = upstream.headersToSend();
        this.upstreamNames = new String[upstreamHeaders.size()];
        this.upstreamValues = new String[upstreamHeaders.size()];
        int i = 0;
        for (Map.Entry<String, String> header : upstreamHeaders.entrySet()) {
            upstreamNames[i] = header.getKey();
            upstreamValues[i++] = header.getValue();
        }
        this.plainUpstreamHeaders = plain(upstreamHeaders) && plain(Map.of("host", authority));
        this.trustedProxies = List.copyOf(trustedProxies);
    }

    /**
     * The fields of a request head as the rewrite sees them: Netty's headers, or the client's own lines
     * ({@link UpstreamHead}). {@code set} replaces every field of that name with one that comes last.
     */
    interface Fields {
        String get(String name);

        boolean contains(String name);

        void set(String name, String value);
    }

    /**
     * Makes the client's request ready to go upstream as {@code target}, in HTTP/1.1: a head read in place whose
     * headers nothing changed has its upstream head made from its own lines (and may not change after this); any
     * other has its headers rewritten.
     */
    void prepareRequest(HttpRequest request, String target, InetAddress peer) {
        if (request instanceof RawHeadRequest raw && plainUpstreamHeaders && target.startsWith("/")) {
            HeadLines lines = raw.unchangedLines();
            if (lines != null) {
                UpstreamHead head = new UpstreamHead(lines, request.method().name(), target,
                        5 + upstreamNames.length);
                rewrite(head, peer);
                raw.sendAs(target, head);
                return;
            }
        }
        rewriteRequestHeaders(request, target, peer);
    }

    /** Rewrites the request's headers for the upstream, for a caller that changes them further. */
    void rewriteRequestHeaders(HttpRequest request, String target, InetAddress peer) {
        HttpHeaders headers = request.headers();
        removeHopByHop(headers);
        rewrite(new Fields() {
            @Override
            public String get(String name) {
                return headers.get(name);
            }

            @Override
            public boolean contains(String name) {
                return headers.contains(name);
            }

            @Override
            public void set(String name, String value) {
                headers.set(name, value);
            }
        }, peer);
        request.setUri(target);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** The rewrite of a request's fields, hop-by-hop ones already gone. */
    private void rewrite(Fields fields, InetAddress peer) {
        String originalHost = fields.get("host");
        boolean trusted = isTrusted(peer);
        String client = peer.getHostAddress();
        String forwardedFor = fields.get("x-forwarded-for");
        fields.set("x-forwarded-for", trusted && forwardedFor != null ? forwardedFor + ", " + client : client);
        if (!trusted || !fields.contains("x-forwarded-proto")) {
            fields.set("x-forwarded-proto", "http");
        }
        if ((!trusted || !fields.contains("x-forwarded-host")) && originalHost != null) {
            fields.set("x-forwarded-host", originalHost);
        }
        fields.set("via", withOurVia(fields.get("via")));
        fields.set("host", authority);
        for (int i = 0; i < upstreamNames.length; i++) {
            fields.set(upstreamNames[i], upstreamValues[i]);
        }
    }

    /**
     * Makes the upstream's response head ready for the client. A body without a length is sent chunked to an
     * HTTP/1.1 client; an HTTP/1.0 client gets it delimited by the connection's close.
     *
     * @return whether the client connection may stay open after this response
     */
    boolean prepareResponse(HttpResponse response, boolean headRequest, boolean clientKeepAlive,
                            HttpVersion clientVersion, long queueMillis, long upstreamMillis) {
        HttpHeaders headers = response.headers();
        removeHopByHop(headers);
        removeInvalidNames(headers);
        appendVia(headers);
        headers.add("server-timing", serverTiming(queueMillis, upstreamMillis));
        boolean keepAlive = clientKeepAlive;
        if (!headRequest && mayHaveBody(response) && !HttpUtil.isContentLengthSet(response)
                && !HttpUtil.isTransferEncodingChunked(response)) {
            if (clientVersion.minorVersion() >= 1) {
                HttpUtil.setTransferEncodingChunked(response, true);
            } else {
                keepAlive = false;
            }
        }
        if (!keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientVersion.minorVersion() == 0) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        return keepAlive;
    }

    /**
     * Ends a plain response's head for the client: appends Via, Server-Timing ({@code serverTiming}), Connection:
     * close when the client connection closes after it, and the blank line. A plain head has no Via and no
     * hop-by-hop lines left (see PlainResponses), and its Content-Length frames it for any HTTP/1.1 client.
     */
    static void finishPlainHead(ByteBuf lines, String serverTiming, boolean keepAlive) {
        lines.writeBytes(VIA_LINE);
        lines.writeBytes(SERVER_TIMING_PREFIX);
        ByteBufUtil.writeAscii(lines, serverTiming);
        lines.writeShort(CRLF);
        if (!keepAlive) {
            lines.writeBytes(CONNECTION_CLOSE_LINE);
        }
        lines.writeShort(CRLF);
    }

    /** Server-Timing of a route without a limiter; the usual few milliseconds are made once. */
    private static String upstreamTiming(long millis) {
        return millis >= 0 && millis < UPSTREAM_TIMINGS.length ? UPSTREAM_TIMINGS[(int) millis]
                : "upstream;dur=" + millis;
    }

    static String serverTiming(long queueMillis, long upstreamMillis) {
        return queueMillis < 0 ? upstreamTiming(upstreamMillis)
                : "queue;dur=" + queueMillis + ", upstream;dur=" + upstreamMillis;
    }

    private static boolean mayHaveBody(HttpResponse response) {
        int code = response.status().code();
        return code >= 200 && code != 204 && code != 304;
    }

    private static void removeHopByHop(HttpHeaders headers) {
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.trim();
                if (HopByHop.goesWhenNamed(name)) {
                    headers.remove(name);
                }
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /**
     * Upstream heads are decoded without validation (see UpstreamConnector): a field whose name is not a token
     * (the decoder has already cut it at the first space) is not passed on.
     */
    private static void removeInvalidNames(HttpHeaders headers) {
        List<CharSequence> invalid = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> all = headers.iteratorCharSequence();
        while (all.hasNext()) {
            CharSequence name = all.next().getKey();
            if (!Tokens.isToken(name)) {
                invalid = invalid == null ? new ArrayList<>() : invalid;
                invalid.add(name);
            }
        }
        if (invalid != null) {
            invalid.forEach(headers::remove);
        }
    }

    private static void appendVia(HttpHeaders headers) {
        headers.set(HttpHeaderNames.VIA, withOurVia(headers.get(HttpHeaderNames.VIA)));
    }

    /** A Via value with the gateway's hop after those before it ({@code via}, or null). */
    private static String withOurVia(String via) {
        return via == null ? VIA : via + ", " + VIA;
    }

    /**
     * Whether {@code headers} may be written as bytes after a head's own lines: Netty's validated headers take them
     * (or the rewrite of Netty's headers would refuse them), their values are visible ASCII, spaces and tabs, and
     * they frame no body (the encoder frames a head made of lines from the client's own headers).
     */
    private static boolean plain(Map<String, String> headers) {
        HttpHeaders validated = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (Map.Entry<String, String> header : headers.entrySet()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")
                    || !header.getValue().chars().allMatch(c -> c >= ' ' && c < 0x7f || c == '\t')) {
                return false;
            }
            try {
                validated.set(name, header.getValue());
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private boolean isTrusted(InetAddress peer) {
        for (Cidr cidr : trustedProxies) {
            if (cidr.contains(peer)) {
                return true;
            }
        }
        return false;
    }
}
