package dev.platemate.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.proxy.RewriterForTests;
import dev.platemate.gateway.wire.RawHeadRequest;
import dev.platemate.gateway.wire.UpstreamRequestEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The two ways a request head goes upstream, on generated input: the client side's decoder with the upstream head
 * made from the client's own lines, against Netty's decoder, the rewrite of Netty's headers and Netty's encoder.
 * Valid and invalid heads, one to three in a row on a connection, with bodies (framed or not), changed by a stage
 * first or not, from a trusted proxy or not, to upstreams with configured headers plain and odd, sent once more as
 * a retry sends them: the upstream must receive the same bytes either way (the order of the fields included), and
 * be refused the same; and the short way must really have been taken (the statistics check it).
 */
class UpstreamHeadProperties {

    private static final HttpDecoderConfig CONFIG = new HttpDecoderConfig().setMaxInitialLineLength(256)
            .setMaxHeaderSize(1024).setMaxChunkSize(64 * 1024).setAllowDuplicateContentLengths(false)
            .setStrictLineParsing(true);
    private static final InetAddress PEER = InetAddress.getLoopbackAddress();
    /** Upstreams: none, plain and odd configured headers (the odd ones keep the lines' way off, or are refused). */
    private static final List<String> UPSTREAMS = List.of("{url: http://127.0.0.1:9}",
            "{url: 'http://up.example:8080/base', headers: "
                    + "{Authorization: 'Bearer sk-test', x-a: configured, X-Forwarded-Proto: https}}",
            "{url: http://127.0.0.1:9, headers: {X-Lead: ' lead', X-Caf: caf\u00e9}}",
            "{url: http://127.0.0.1:9, headers: {Transfer-Encoding: chunked}}");
    private static final List<RewriterForTests> REWRITERS = UPSTREAMS.stream()
            .flatMap(upstream -> Stream.of(rewriter(upstream, List.of()), rewriter(upstream, List.of("127.0.0.0/8"))))
            .toList();

    private static RewriterForTests rewriter(String upstream, List<String> trusted) {
        try {
            return new RewriterForTests(upstream, trusted);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final List<String> NAMES = List.of("Host", "host", "Accept", "User-Agent", "X-Forwarded-For",
            "x-forwarded-proto", "X-Forwarded-Host", "Via", "Connection", "Keep-Alive", "TE", "Upgrade", "Trailer",
            "Proxy-Authorization", "Proxy-Connection", "Proxy-Authenticate", "Authorization", "X-A", "x-a", "Cookie",
            "Expect");
    /** Names a Connection value may give: those of fields, and framing ones. */
    private static final List<String> CONNECTION_NAMES = Stream.concat(NAMES.stream(),
            Stream.of("Content-Length", "transfer-encoding")).toList();
    /** Names that keep a head off the short way, or out altogether. */
    private static final List<String> ODD_NAMES = List.of("Content-Length", "Transfer-Encoding", "Sec-WebSocket-Key1",
            "sec-websocket-key2", "X Bad", "X@", "");
    private static final List<String> VALUES = List.of("x", "close", "keep-alive", "keep-alive, X-A", "host",
            "x-forwarded-for, via", "Transfer-Encoding", " , ,X-A ", "10.0.0.1", "10.0.0.1, 10.0.0.2", "https",
            "1.0 other", "*/*", "chunked", "0", "3", "100-continue", "a\tb", "caf\u00e9", "", "  padded  ");
    private static final List<String> SEPARATORS = List.of(": ", ":", ":\t", ":  ", " : ");
    private static final List<String> REQUEST_LINES = List.of("GET /a HTTP/1.1", "GET /a?b=1&c HTTP/1.1",
            "HEAD /h HTTP/1.1", "GET /%zz/x HTTP/1.1", "GET * HTTP/1.1", "GET http://h/p HTTP/1.1", "get /l HTTP/1.1",
            "GET /o HTTP/1.0", "POST /p HTTP/1.1", "PUT /u HTTP/1.1", "GET  /two HTTP/1.1", "GET /caf\u00e9 HTTP/1.1");
    private static final List<String> BODIES = List.of("abc", "Content-Length: 3\r\n\r\nabc",
            "Content-Length: 0\r\n\r\n", "content-length: 007\r\n\r\nab\r\n\r\nc",
            "Content-Length: 18\r\n\r\nGET /in HTTP/1.1\r\n\r\n", "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");

    record Field(String name, String separator, String value) {
    }

    record Head(String requestLine, List<Field> fields, String lineEnd, String body) {
        /** A body may begin with the line that frames it and the blank line; else the blank line comes first. */
        String text() {
            StringBuilder head = new StringBuilder(requestLine).append(lineEnd);
            fields.forEach(f -> head.append(f.name).append(f.separator).append(f.value).append(lineEnd));
            return head.append(body.contains("\r\n\r\n") ? "" : lineEnd).append(body).toString();
        }
    }

    @Provide
    Arbitrary<List<Head>> connections() {
        return connections(Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just("GET /a HTTP/1.1")),
                Tuple.of(3, Arbitraries.of(REQUEST_LINES))),
                Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just("")), Tuple.of(1, Arbitraries.of(BODIES))));
    }

    /** Connections of POST and PUT requests, mostly with a body framed by its length. */
    @Provide
    Arbitrary<List<Head>> uploads() {
        return connections(Arbitraries.of("POST /p HTTP/1.1", "PUT /u HTTP/1.1"), Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(BODIES.subList(1, 5))), Tuple.of(1, Arbitraries.of(BODIES))));
    }

    private static Arbitrary<List<Head>> connections(Arbitrary<String> requestLines, Arbitrary<String> bodies) {
        Arbitrary<String> names = Arbitraries.frequencyOf(Tuple.of(15, Arbitraries.of(NAMES)),
                Tuple.of(1, Arbitraries.of(ODD_NAMES)));
        Arbitrary<String> values = Arbitraries.oneOf(Arbitraries.of(VALUES),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12));
        Arbitrary<String> connectionValues = Arbitraries.oneOf(values,   // often naming fields of the head
                Arbitraries.of(CONNECTION_NAMES).list().ofMinSize(1).ofMaxSize(3)
                        .map(named -> String.join(", ", named)));
        Arbitrary<String> separators = Arbitraries.frequencyOf(Tuple.of(15, Arbitraries.just(": ")),
                Tuple.of(1, Arbitraries.of(SEPARATORS)));
        Arbitrary<Field> field = names.flatMap(name -> Combinators.combine(separators,
                name.equalsIgnoreCase("connection") ? connectionValues : values)
                .as((separator, value) -> new Field(name, separator, value)));
        Arbitrary<Head> head = Combinators.combine(requestLines, field.list().ofMaxSize(10),
                Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just("\r\n")), Tuple.of(1, Arbitraries.just("\n"))),
                bodies).as(Head::new);
        return head.list().ofMinSize(1).ofMaxSize(3);
    }

    /** Mostly the plain upstreams (0 to 3), whose heads can take the short way. */
    @Provide
    Arbitrary<Integer> upstreams() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(0, 3)),
                Tuple.of(1, Arbitraries.integers().between(4, REWRITERS.size() - 1)));
    }

    @Provide
    Arbitrary<Boolean> changes() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(false)), Tuple.of(1, Arbitraries.just(true)));
    }

    /** Where the input is cut into reads: a head or a body may come in pieces. */
    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(1, 400).list().ofMaxSize(3);
    }

    @Example
    void fieldsNamedInConnectionGoAndTheRewriteComesLastInItsOrder() {
        String head = "GET /a HTTP/1.1\r\nHost: x\r\nConnection: host, X-A\r\nX-A: 1\r\nVia: 1.0 other\r\n"
                + "x-forwarded-proto: https\r\nAccept:  */*  \r\n\r\n";
        for (RewriterForTests rewriter : REWRITERS.subList(0, 4)) {
            assertThat(compare(head, rewriter, false, List.of()).heads()).isEqualTo(1);
        }
    }

    @Property(tries = 800)
    void theUpstreamReceivesTheSameBytesEitherWay(@ForAll("connections") List<Head> heads,
                                                   @ForAll("upstreams") int upstream,
                                                   @ForAll("changes") boolean changed,
                                                   @ForAll("cuts") List<Integer> cuts) {
        ShortWay shortWay = compare(heads.stream().map(Head::text).reduce("", String::concat),
                REWRITERS.get(upstream), changed, cuts);
        Statistics.label("head made from the lines").collect(shortWay.heads() > 0);
        Statistics.label("head made from the lines").coverage(c -> c.check(true).percentage(p -> p > 10));
    }

    @Property(tries = 300)
    void bodiesFramedByTheirLengthToo(@ForAll("uploads") List<Head> heads, @ForAll("upstreams") int upstream,
                                      @ForAll("changes") boolean changed, @ForAll("cuts") List<Integer> cuts) {
        ShortWay shortWay = compare(heads.stream().map(Head::text).reduce("", String::concat),
                REWRITERS.get(upstream), changed, cuts);
        Statistics.label("a body after a head made from the lines").collect(shortWay.bodies() > 0);
        Statistics.label("a body after a head made from the lines")
                .coverage(c -> c.check(true).percentage(p -> p > 10));
    }

    @Example
    void aPostsBodyFollowsTheHeadMadeFromItsLines() {
        String post = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
        assertThat(compare(post + post, REWRITERS.get(0), false, List.of(40, 70))).isEqualTo(new ShortWay(2, 2));
    }

    /**
     * Compares the two ways for {@code text}, read in pieces cut where {@code cuts} say (past its end: not cut);
     * {@code changed}: a stage changes each request's headers first.
     * @return how many heads took the short way, and how many of them with a body
     */
    private static ShortWay compare(String text, RewriterForTests rewriter, boolean changed, List<Integer> cuts) {
        List<byte[]> input = pieces(text.getBytes(StandardCharsets.ISO_8859_1), cuts);
        int[] shortWay = new int[2];
        Sent ours = upstreamBytes(new EmbeddedChannel(new RequestDecoder(CONFIG)), UpstreamRequestEncoder::new,
                input, changed, (request, target) -> {
                    rewriter.prepareRequest(request, target, PEER);
                    if (request instanceof RawHeadRequest raw && raw.upstreamHead() != null) {
                        shortWay[0]++;
                        shortWay[1] += HttpUtil.getContentLength(request, 0L) > 0 ? 1 : 0;
                    }
                });
        Sent netty = upstreamBytes(new EmbeddedChannel(new HttpRequestDecoder(CONFIG)), HttpRequestEncoder::new,
                input, changed, (request, target) -> rewriter.rewriteRequestHeaders(request, target, PEER));
        if (ours.ended().equals(REFUSED) && !ours.equals(netty)) {
            // a head Netty reads and the gateway refuses (a folded line, an odd request line): what came before it
            // went the same way
            assertThat(netty.bytes()).startsWith(ours.bytes());
            assertThat(netty.again().subList(0, ours.again().size())).isEqualTo(ours.again());
            Statistics.label("refused by the gateway only").collect(true);
            return new ShortWay(shortWay[0], shortWay[1]);
        }
        assertThat(ours).isEqualTo(netty);
        return new ShortWay(shortWay[0], shortWay[1]);
    }

    private static final String REFUSED = "refused";

    record ShortWay(int heads, int bodies) {
    }

    /**
     * What the upstream received: the bytes; why the input ended before its end ("" when it did not, or
     * {@link #REFUSED}, or the exception the rewrite threw); each request once more, as a retry sends it.
     */
    record Sent(String bytes, String ended, List<String> again) {
    }

    /**
     * What the upstream receives of {@code input}, decoded by {@code client}'s decoder, each request rewritten by
     * {@code prepare} for the target "/base" + its own and encoded by an encoder from {@code encoders} (nothing
     * after a refusal goes upstream); then each request sent once more, without a body, on a new connection.
     */
    private static Sent upstreamBytes(EmbeddedChannel client, Supplier<ChannelHandler> encoders, List<byte[]> input,
                                        boolean changed, BiConsumer<HttpRequest, String> prepare) {
        EmbeddedChannel upstream = new EmbeddedChannel(encoders.get());
        input.forEach(read -> client.writeInbound(Unpooled.wrappedBuffer(read)));
        client.finish();
        String ended = "";
        List<HttpRequest> sent = new ArrayList<>();
        Object message;
        while ((message = client.readInbound()) != null) {
            if (!ended.isEmpty() || message instanceof RejectedRequest
                    || message instanceof HttpObject object && object.decoderResult().isFailure()) {
                ended = ended.isEmpty() ? REFUSED : ended;
                ReferenceCountUtil.release(message);
                continue;
            }
            if (message instanceof HttpRequest request) {
                if (changed) {
                    request.headers().remove("accept").add("x-changed", "1");
                }
                String uri = request.uri();
                try {
                    prepare.accept(request, uri.startsWith("/") ? "/base" + uri : uri);
                } catch (IllegalArgumentException e) {
                    ended = e.getClass().getSimpleName();
                    continue;
                }
                sent.add(request);
            }
            upstream.writeOutbound(message);
        }
        String bytes = written(upstream);
        List<String> again = new ArrayList<>();
        for (HttpRequest request : sent) {
            EmbeddedChannel retry = new EmbeddedChannel(encoders.get());
            retry.writeOutbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
            again.add(written(retry));
        }
        client.finishAndReleaseAll();
        return new Sent(bytes, ended, again);
    }

    private static List<byte[]> pieces(byte[] input, List<Integer> cuts) {
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : cuts.stream().filter(c -> c < input.length).sorted().distinct().toList()) {
            pieces.add(Arrays.copyOfRange(input, from, cut));
            from = cut;
        }
        pieces.add(Arrays.copyOfRange(input, from, input.length));
        return pieces;
    }

    private static String written(EmbeddedChannel upstream) {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        Object out;
        while ((out = upstream.readOutbound()) != null) {
            ByteBuf bytes = out instanceof HttpContent content ? content.content() : (ByteBuf) out;
            byte[] copy = new byte[bytes.readableBytes()];
            bytes.getBytes(bytes.readerIndex(), copy);
            wire.writeBytes(copy);
            ReferenceCountUtil.release(out);
        }
        upstream.finishAndReleaseAll();
        return wire.toString(StandardCharsets.ISO_8859_1);
    }
}
