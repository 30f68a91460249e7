package dev.platemate.gateway.ai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Counts an AI response's tokens on its way to the client, and books them once ({@link ClientSide#metered})
 * however the exchange ends. A JSON answer is copied aside (up to {@link #MAX_JSON}) and read at its end; a stream
 * is read event by event as it passes. Neither delays a byte: parts go on as they come, but when the gateway itself
 * asked for the usage chunk ({@code dropUsageChunk}) the stream is passed on by whole events, less that one, so the
 * client gets the stream it asked for. A stream whose head has a Content-Length is passed as it is (taking a chunk
 * out would break its framing). An error answer or one that is not JSON books the request with no tokens; a stream
 * cut short, or an answer with no usage, books an estimate. Event-loop only.
 */
final class UsageMeter implements ClientSide {

    static final int MAX_JSON = 4 * 1024 * 1024;

    private enum Mode { WAITING, JSON, STREAM, NOT_JSON, OTHER }

    private final ClientSide real;
    private final UsageTally tally;
    private final boolean dropUsageChunk;
    private Mode mode = Mode.WAITING;
    private ByteArrayOutputStream json;
    private ServerSentEvents events;
    private boolean byEvents;
    private boolean booked;
    private boolean wentUpstream;

    /** @param dropUsageChunk whether the gateway asked for the stream's usage chunk (the client did not) */
    UsageMeter(ClientSide real, AiRequest request, boolean dropUsageChunk) {
        this.real = real;
        this.tally = new UsageTally(request);
        this.dropUsageChunk = dropUsageChunk;
    }

    @Override
    public void write(HttpObject part) {
        if (part instanceof HttpResponse head) {
            started(head);
            real.write(head);
            return;
        }
        HttpContent content = (HttpContent) part;
        switch (mode) {
            case JSON -> {
                ByteBuf bytes = content.content();
                if (json.size() + bytes.readableBytes() <= MAX_JSON) {
                    json.writeBytes(ByteBufUtil.getBytes(bytes));
                } else {
                    mode = Mode.OTHER;   // too large to read aside: the request counts, its tokens are not known
                }
                real.write(content);
            }
            case STREAM -> streamed(content);
            default -> real.write(content);
        }
    }

    private void started(HttpResponse head) {
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (head.status().code() != 200) {
            mode = Mode.OTHER;
        } else if (type.startsWith("text/event-stream")) {
            mode = Mode.STREAM;
            events = new ServerSentEvents();
            byEvents = dropUsageChunk && !head.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
        } else if (type.contains("json")) {
            mode = Mode.JSON;
            json = new ByteArrayOutputStream();
        } else {
            mode = Mode.NOT_JSON;
        }
    }

    /** A part of a stream: read; passed on as it is, or as the whole events it completes, less the usage chunk. */
    private void streamed(HttpContent content) {
        List<ServerSentEvents.Event> complete = events.feed(ByteBufUtil.getBytes(content.content()));
        ByteArrayOutputStream kept = byEvents ? new ByteArrayOutputStream() : null;
        for (ServerSentEvents.Event event : complete) {
            JsonNode chunk = event.data().isEmpty() || event.data().equals("[DONE]") ? null
                    : tally.read(event.data());
            if (kept != null && !isUsageOnly(chunk)) {
                kept.writeBytes(chunk != null && chunk.has("usage") ? withoutNullUsage(event.raw()) : event.raw());
            }
        }
        if (kept == null) {
            real.write(content);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            kept.writeBytes(events.rest());   // a stream cut mid-event: the client gets what came
        }
        ByteBuf out = kept.size() == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(kept.toByteArray());
        if (last) {
            DefaultLastHttpContent end = new DefaultLastHttpContent(out);
            end.trailingHeaders().set(((LastHttpContent) content).trailingHeaders());
            content.release();
            real.write(end);
        } else {
            content.release();
            if (out.isReadable()) {
                real.write(new DefaultHttpContent(out));
            }
        }
    }

    /** An event's bytes, its chunk's {@code "usage": null} taken out (see {@link NullUsage}). */
    private static byte[] withoutNullUsage(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        return NullUsage.removed(text).getBytes(StandardCharsets.UTF_8);
    }

    /** The chunk include_usage adds at the end of a stream: no choices, only usage. */
    private static boolean isUsageOnly(JsonNode chunk) {
        return chunk != null && chunk.path("usage").isObject() && chunk.path("choices").isArray()
                && chunk.path("choices").isEmpty();
    }

    /** Books what was used, once. */
    private void book() {
        if (booked) {
            return;
        }
        booked = true;
        TokenUsage usage;
        if (mode == Mode.JSON) {
            usage = tally.read(json.toString(StandardCharsets.UTF_8)) == null ? unknown() : tally.usage();
        } else if (mode == Mode.STREAM) {
            usage = tally.usage();
        } else if (mode == Mode.NOT_JSON) {
            usage = unknown();
        } else {
            usage = tally.nothingSpent();
        }
        real.metered(usage);
    }

    /** A 200 answer that is not JSON: the request counts, under a model nobody named. */
    private TokenUsage unknown() {
        return new TokenUsage("unknown", 0, 0, 0, false);
    }

    /**
     * The client left (the exchange has been told, and has said how far it got): what was seen is booked, an
     * estimate if the usage had not come; a request that had reached the provider counts its prompt at least.
     */
    void clientLeft() {
        if (mode == Mode.WAITING && !booked) {
            booked = true;
            real.metered(wentUpstream ? tally.usage() : tally.nothingSpent());
            return;
        }
        book();
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        book();
        real.responseComplete(keepAlive);
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        book();
        real.respond(response, keepAlive);
    }

    @Override
    public void abort() {
        book();
        real.abort();
    }

    @Override
    public void fail(Throwable cause) {
        book();
        real.fail(cause);
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        wentUpstream = upstreamMillis >= 0;
        real.timed(queueMillis, upstreamMillis);
    }

    @Override
    public void metered(TokenUsage usage) {
        real.metered(usage);
    }

    @Override
    public void routed(String route, String upstream) {
        real.routed(route, upstream);
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
    public void flush() {
        real.flush();
    }

    @Override
    public boolean isWritable() {
        return real.isWritable();
    }

    @Override
    public void suspendReading(boolean suspend) {
        real.suspendReading(suspend);
    }

    @Override
    public void progressed() {
        real.progressed();
    }
}
