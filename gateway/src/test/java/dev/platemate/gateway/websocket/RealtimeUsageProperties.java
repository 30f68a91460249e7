package dev.platemate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.server.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The Realtime reader on messages as they come off the wire: however a message's bytes are cut into pieces, the
 * usage read is the same; the type counts only within the message's first 160 bytes, in quotes, wherever other
 * quoted keys and values put it; other events are skipped.
 */
class RealtimeUsageProperties {

    private static final String DONE = "\"type\":\"response.done\",\"response\":{\"usage\":{\"input_tokens\":12,"
            + "\"output_tokens\":5,\"input_token_details\":{\"cached_tokens\":4}}}";

    @Property
    void theUsageIsTheSameHoweverTheMessageIsCut(@ForAll("prefixes") String before,
                                                 @ForAll @IntRange(min = 1, max = 64) int pieceSize) {
        String message = "{" + before + DONE + "}";
        TokenUsage whole = read(message, message.length());
        TokenUsage cut = read(message, pieceSize);
        assertThat(cut).isEqualTo(whole);
        boolean typeInReach = message.indexOf("\"response.done\"") + "\"response.done\"".length() <= 160;
        assertThat(whole).isEqualTo(typeInReach ? new TokenUsage("gpt-realtime", 12, 5, 4, false) : null);
    }

    @Provide
    Arbitrary<String> prefixes() {
        Arbitrary<String> key = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> value = Arbitraries.strings().withChars("abc019 _.:{},").ofMaxLength(40);
        return Arbitraries.entries(key, value).list().ofMaxSize(6)
                .map(pairs -> pairs.stream().map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\",")
                        .reduce("", String::concat));
    }

    /** The type's closing quote as the window's last byte (the 160th) counts; one byte further, it does not. */
    @Example
    void theTypeCountsUpToTheWindowsLastByte() {
        for (int end : new int[] {159, 160, 161}) {
            String head = "{\"type\":\"response.done\"";
            String message = "{\"pad\":\"" + "x".repeat(end - head.length() - 9) + "\"," + DONE + "}";
            assertThat(message.indexOf("\"response.done\"") + "\"response.done\"".length()).isEqualTo(end);
            assertThat(read(message, 1000)).as("ending at %d", end).isEqualTo(end <= 160
                    ? new TokenUsage("gpt-realtime", 12, 5, 4, false) : null);
            assertThat(read(message, 5)).as("ending at %d, in pieces", end).isEqualTo(read(message, 1000));
        }
    }

    /** A near miss within reach does not make the message read: only the closing quote ends a type. */
    @Example
    void aNearMissWithinReachIsNotTheType() {
        String message = "{\"note\":\"response.done.partial\",\"pad\":\"" + "x".repeat(140) + "\"," + DONE + "}";
        assertThat(read(message, 1000)).isNull();
        assertThat(read(message, 7)).isNull();
    }

    @Example
    void aSessionEventNamesTheModelOfTheResponsesAfterIt() {
        for (String type : List.of("session.created", "session.updated")) {
            RealtimeUsage usage = new RealtimeUsage(null);
            feed(usage, "{\"event_id\":\"e1\",\"type\":\"" + type + "\",\"session\":{\"model\":\"m-" + type
                    + "\"}}", 7);
            assertThat(feed(usage, "{" + DONE + "}", 500)).extracting(TokenUsage::model).isEqualTo("m-" + type);
        }
    }

    @Example
    void otherEventsAndATypeNamedOnlyAsAValuePrefixAreSkipped() {
        RealtimeUsage usage = new RealtimeUsage("m");
        for (String other : List.of("{\"type\":\"response.audio.delta\",\"delta\":\"AAAA\"}",
                "{\"type\":\"response.done.partial\",\"response\":{\"usage\":{\"input_tokens\":1}}}",
                "hello, with no quote at all", "\"", "")) {
            assertThat(feed(usage, other, 3)).as(other).isNull();
            assertThat(feed(usage, other, 1000)).as(other).isNull();
        }
        assertThat(usage.total()).isEqualTo(TokenUsage.NONE);
    }

    private static TokenUsage read(String message, int pieceSize) {
        return feed(new RealtimeUsage("gpt-realtime"), message, pieceSize);
    }

    /** One message fed in pieces of {@code pieceSize} bytes, each a slice of a larger buffer, as reads give them. */
    private static TokenUsage feed(RealtimeUsage usage, String message, int pieceSize) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        ByteBuf wire = Unpooled.buffer().writeBytes("xx".getBytes(StandardCharsets.US_ASCII)).writeBytes(bytes);
        try {
            usage.begin(bytes.length);
            for (int at = 0; at < bytes.length; at += pieceSize) {
                usage.feed(wire.slice(2 + at, Math.min(pieceSize, bytes.length - at)));
            }
            return usage.end();
        } finally {
            wire.release();
        }
    }
}
