package dev.platemate.gateway.ai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.ForwardingClientSide;
import dev.platemate.gateway.server.TokenUsage;
import dev.platemate.gateway.wire.WireNumbers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Counts an AI response's tokens on its way to the client, and books them once ({@link ClientSide#metered})
 * however the exchange ends. A JSON answer is copied aside as it passes (the first {@link #MAX_JSON} bytes, and
 * past that the last {@link #TAIL} bytes, where the usage is) and read at its end; a stream is read event by event
 * as it passes. Neither delays a byte: parts go on as they come, but when the gateway itself asked for the usage
 * chunk ({@code dropUsageChunk}) the stream is passed on by whole events, less that chunk and the
 * {@code "usage": null} the provider then adds to every chunk, so the client gets the stream it asked for. A stream
 * whose head has a Content-Length, an encoded (compressed) answer, and an event larger than
 * {@link ServerSentEvents#MAX_EVENT} are passed as they come. An error answer books the request with no tokens, a
 * 200 that is not JSON books it under the model {@code unknown}; whatever is cut short, or shows no usage, books
 * an estimate. Event-loop only.
 */
final class UsageMeter extends ForwardingClientSide {

    static final int MAX_JSON = 1024 * 1024;
    static final int TAIL = 64 * 1024;
    /** Trailers are the upstream's, read unvalidated: so are they passed on. */
    private static final HttpHeadersFactory UNCHECKED = DefaultHttpHeadersFactory.trailersFactory()
            .withValidation(false);

    private enum Mode { WAITING, JSON, STREAM, NOT_JSON, OPAQUE, ERROR }

    private final UsageTally tally;
    private final boolean dropUsageChunk;
    private Mode mode = Mode.WAITING;
    private ByteArrayOutputStream json;
    private JsonTail tail;
    private ServerSentEvents events;
    private boolean byEvents;
    private boolean booked;
    private boolean wentUpstream;

    /** Who hears what was used once it is booked, and what the provider says it has left. */
    interface Settlement {
        Settlement NONE = new Settlement() {
        };

        /** The usage was booked (once). */
        default void settled(TokenUsage usage) {
        }

        /** The provider's {@code x-ratelimit-remaining-tokens}. */
        default void providerHas(long tokensLeft) {
        }
    }

    private final Settlement settlement;

    /** @param dropUsageChunk whether the gateway asked for the stream's usage chunk (the client did not) */
    UsageMeter(ClientSide real, AiRequest request, boolean dropUsageChunk, Settlement settlement) {
        super(real);
        this.tally = new UsageTally(request);
        this.dropUsageChunk = dropUsageChunk;
        this.settlement = settlement;
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
                copyAside(content.content());
                real.write(content);
            }
            case STREAM -> streamed(content);
            default -> real.write(content);
        }
    }

    private void started(HttpResponse head) {
        wentUpstream = true;
        long left = WireNumbers.deltaSeconds(head.headers().get("x-ratelimit-remaining-tokens"));   // digits only
        if (left >= 0) {
            settlement.providerHas(left);
        }
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        String encoding = head.headers().get(HttpHeaderNames.CONTENT_ENCODING, "identity");
        if (head.status().code() != 200) {
            mode = Mode.ERROR;
        } else if (!encoding.equalsIgnoreCase("identity")) {
            mode = Mode.OPAQUE;
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

    private void copyAside(ByteBuf bytes) {
        if (tail == null && json.size() + bytes.readableBytes() <= MAX_JSON) {
            json.writeBytes(ByteBufUtil.getBytes(bytes));
            return;
        }
        if (tail == null) {
            tail = new JsonTail(TAIL);
        }
        tail.add(bytes);
    }

    /** A part of a stream: read; passed on as it is, or as the whole events it completes, less the usage chunk. */
    private void streamed(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        List<ServerSentEvents.Event> complete = events.feed(content.content(), last);
        if (complete == null) {
            passAsItComes(content);
            return;
        }
        ByteArrayOutputStream kept = byEvents ? new ByteArrayOutputStream() : null;
        for (ServerSentEvents.Event event : complete) {
            String data = event.data();
            JsonNode chunk = data.isEmpty() || data.equals("[DONE]") ? null : tally.read(data);
            if (kept != null && !isUsageOnly(chunk)) {
                kept.writeBytes(chunk != null && chunk.has("usage") ? NullUsage.removedFromData(event.raw())
                        : event.raw());
            }
        }
        if (kept == null) {
            real.write(content);
            return;
        }
        if (last) {
            kept.writeBytes(events.rest());   // a stream cut mid-event: the client gets what came
        }
        emit(content, kept.toByteArray(), last);
    }

    /** An event grew too large to wait for: what was held goes first, then everything as it comes. */
    private void passAsItComes(HttpContent content) {
        if (byEvents) {
            byEvents = false;
            emit(content, events.rest(), content instanceof LastHttpContent);
        } else {
            events.rest();
            real.write(content);
        }
    }

    /** Writes {@code bytes} in place of {@code content} (released), keeping it the last part if it was. */
    private void emit(HttpContent content, byte[] bytes, boolean last) {
        ByteBuf out = bytes.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        try {
            if (last) {
                DefaultLastHttpContent end = new DefaultLastHttpContent(out, UNCHECKED);
                end.trailingHeaders().set(((LastHttpContent) content).trailingHeaders());
                real.write(end);
            } else if (out.isReadable()) {
                real.write(new DefaultHttpContent(out));
            } else {
                real.progressed();   // read, nothing whole to pass yet: the stream is alive
            }
        } finally {
            content.release();
        }
    }

    /** The chunk include_usage adds at the end of a stream: no choices, only usage. */
    private static boolean isUsageOnly(JsonNode chunk) {
        return chunk != null && chunk.path("usage").isObject() && chunk.path("choices").isArray()
                && chunk.path("choices").isEmpty();
    }

    /** Books what was used, once; {@code cut}: the answer did not come whole. */
    private void book(boolean cut) {
        if (booked) {
            return;
        }
        booked = true;
        TokenUsage usage = switch (mode) {
            case JSON -> readJson(cut);
            case STREAM, OPAQUE -> tally.usage();
            case NOT_JSON -> tally.unknownModel();
            case WAITING -> wentUpstream ? tally.usage() : tally.nothingSpent();
            case ERROR -> tally.nothingSpent();
        };
        real.metered(usage);
        settlement.settled(usage);
    }

    private TokenUsage readJson(boolean cut) {
        if (tail != null) {
            tally.readUsageIn(tail.text());
            return tally.usage();
        }
        boolean json = tally.read(this.json.toString(StandardCharsets.UTF_8)) != null;
        return json || cut ? tally.usage() : tally.unknownModel();
    }

    /**
     * The client left (the exchange has been told, and has said how far it got): what was seen is booked, an
     * estimate if the usage had not come; a request that had reached the provider counts its prompt at least.
     */
    void clientLeft() {
        book(true);
    }

    @Override
    public void responseComplete(boolean keepAlive) {
        book(false);
        real.responseComplete(keepAlive);
    }

    @Override
    public void respond(FullHttpResponse response, boolean keepAlive) {
        book(false);
        real.respond(response, keepAlive);
    }

    @Override
    public void abort() {
        book(true);
        real.abort();
    }

    @Override
    public void fail(Throwable cause) {
        book(true);
        real.fail(cause);
    }

    @Override
    public void timed(long queueMillis, long upstreamMillis) {
        wentUpstream |= upstreamMillis >= 0;
        real.timed(queueMillis, upstreamMillis);
    }
}
