package dev.platemate.gateway.ai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The meter itself, on generated OpenAI streams cut into parts anywhere, with line ends of every kind: the client
 * gets exactly the stream without the usage the gateway asked for, the usage is booked once, and every part that
 * came in is released.
 */
class UsageMeterProperties {

    /** A client side that keeps what reaches it. */
    private static final class Recording implements ClientSide {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<TokenUsage> booked = new ArrayList<>();
        boolean complete;

        @Override
        public void write(HttpObject part) {
            if (part instanceof HttpContent content) {
                bytes.writeBytes(ByteBufUtil.getBytes(content.content()));
            }
            ReferenceCountUtil.release(part);
        }

        @Override
        public void metered(TokenUsage usage) {
            booked.add(usage);
        }

        @Override
        public void responseComplete(boolean keepAlive) {
            complete = true;
        }

        @Override
        public void respond(FullHttpResponse response, boolean keepAlive) {
            response.release();
        }

        @Override
        public EventLoop eventLoop() {
            return null;
        }

        @Override
        public InetAddress remoteAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public boolean keepAliveWanted() {
            return true;
        }

        @Override
        public void flush() {
        }

        @Override
        public boolean isWritable() {
            return true;
        }

        @Override
        public void suspendReading(boolean suspend) {
        }

        @Override
        public void abort() {
        }

        @Override
        public void fail(Throwable cause) {
        }
    }

    private static String chunk(String content, boolean withUsage) {
        return "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"}}]"
                + (withUsage ? ",\"usage\":null" : "") + "}";
    }

    @Property
    void theClientGetsTheStreamItAskedForHoweverItArrives(@ForAll @IntRange(min = 1, max = 6) int words,
                                                         @ForAll @IntRange(max = 2) int lineEnds,
                                                         @ForAll @Size(max = 8) List<@IntRange(max = 900) Integer> cuts) {
        String end = List.of("\n\n", "\r\n\r\n", "\r\r").get(lineEnds);
        StringBuilder sent = new StringBuilder(": keep-alive" + end.substring(0, end.length() / 2));
        StringBuilder expected = new StringBuilder(sent);
        for (int i = 0; i < words; i++) {
            sent.append("data: ").append(chunk("w" + i, true)).append(end);
            expected.append("data: ").append(chunk("w" + i, false)).append(end);
        }
        sent.append("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":")
                .append(words).append("}}").append(end).append("data: [DONE]").append(end);
        expected.append("data: [DONE]").append(end);

        Recording client = new Recording();
        AiRequest request = AiRequest.read("{\"model\":\"m\",\"stream\":true}".getBytes(StandardCharsets.UTF_8));
        UsageMeter meter = new UsageMeter(client, request, true, UsageMeter.Settlement.NONE);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        meter.write(head);
        byte[] stream = sent.toString().getBytes(StandardCharsets.UTF_8);
        List<Integer> points = new ArrayList<>(cuts.stream().map(c -> Math.min(c, stream.length)).sorted().toList());
        points.add(stream.length);
        List<HttpContent> parts = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < points.size(); i++) {
            byte[] piece = Arrays.copyOfRange(stream, from, points.get(i));
            HttpContent part = i == points.size() - 1 ? new DefaultLastHttpContent(Unpooled.copiedBuffer(piece))
                    : new DefaultHttpContent(Unpooled.copiedBuffer(piece));
            parts.add(part.retain());   // one reference kept here, to see that the meter gave its own back
            meter.write(part);
            from = points.get(i);
        }
        meter.responseComplete(true);

        assertThat(client.bytes.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString());
        assertThat(client.booked).containsExactly(new TokenUsage("m", 11, words, 0, false));
        assertThat(parts).allSatisfy(part -> assertThat(part.refCnt()).isEqualTo(1));
        parts.forEach(HttpContent::release);
    }
}
