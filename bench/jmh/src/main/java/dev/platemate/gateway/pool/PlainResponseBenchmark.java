package dev.platemate.gateway.pool;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One upstream response as the bench's nginx sends it (a 1 KiB JSON body), taken in two ways on an embedded
 * channel: as a plain response ({@link PlainResponses}: the head checked where it lies, hop-by-hop lines left out
 * of a copy, the body as a slice), and by Netty's decoder (a response object with its headers, and the body as
 * content), as the gateway did before plain relays. Both include the embedded channel's own cost, which
 * {@link #channelAlone} measures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PlainResponseBenchmark {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 20:00:00 GMT\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1024\r\nConnection: keep-alive\r\n\r\n";

    private ByteBuf response;
    private PlainResponses plain;
    private EmbeddedChannel plainChannel;
    private EmbeddedChannel decoderChannel;
    private EmbeddedChannel emptyChannel;

    @Setup
    public void setUp() {
        byte[] head = HEAD.getBytes(StandardCharsets.US_ASCII);
        response = Unpooled.directBuffer(head.length + 1024).writeBytes(head).writeZero(1024);
        plain = new PlainResponses();
        plainChannel = new EmbeddedChannel(plain);
        emptyChannel = new EmbeddedChannel();
        decoderChannel = new EmbeddedChannel(new HttpResponseDecoder(new HttpDecoderConfig()
                .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(false))));
    }

    @TearDown
    public void tearDown() {
        plainChannel.finishAndReleaseAll();
        decoderChannel.finishAndReleaseAll();
        emptyChannel.finishAndReleaseAll();
        response.release();
    }

    @Benchmark
    public int plainRelay() {
        plain.expect(true);
        plainChannel.writeInbound(response.retainedDuplicate());
        return drain(plainChannel);
    }

    @Benchmark
    public int nettyDecoder() {
        decoderChannel.writeInbound(response.retainedDuplicate());
        return drain(decoderChannel);
    }

    /** What the embedded channel itself costs, to subtract from the two above. */
    @Benchmark
    public int channelAlone() {
        emptyChannel.writeInbound(response.retainedDuplicate());
        return drain(emptyChannel);
    }

    private static int drain(EmbeddedChannel channel) {
        int parts = 0;
        Object part;
        while ((part = channel.readInbound()) != null) {
            ReferenceCountUtil.release(part);
            parts++;
        }
        return parts;
    }
}
