package dev.platemate.gateway.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The stream parsers of usage metering, on generated streams cut anywhere and generated chunks. */
class StreamParsingProperties {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Provide
    Arbitrary<String> events() {
        Arbitrary<String> data = Arbitraries.strings().withChars("abc {}\":,\\é").ofMaxLength(20);
        Arbitrary<String> end = Arbitraries.of("\n\n", "\r\n\r\n", "\r\r", "\n\r\n", "\r\n\n");
        Arbitrary<String> before = Arbitraries.of("", ": ping\n", "event: delta\r\n", "id: 7\r");
        return Combinators.combine(before, data, end).as((b, d, e) -> b + "data: " + d + e);
    }

    @Property
    void howeverTheBytesAreSplitTheSameWholeEventsComeOut(
            @ForAll @Size(max = 8) List<@From("events") String> events,
            @ForAll @Size(max = 6) List<@IntRange(max = 400) Integer> cuts) {
        byte[] stream = String.join("", events).getBytes(StandardCharsets.UTF_8);
        List<Integer> points = new ArrayList<>(cuts.stream().map(c -> Math.min(c, stream.length)).sorted().toList());
        points.add(stream.length);
        ServerSentEvents parser = new ServerSentEvents();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> data = new ArrayList<>();
        List<String> expected = events.stream().map(e -> {
            int at = e.indexOf("data: ") + 6;
            return e.substring(at).replaceAll("[\r\n]+$", "");
        }).toList();
        int from = 0;
        for (int i = 0; i < points.size(); i++) {
            int to = points.get(i);
            for (ServerSentEvents.Event event : parser.feed(Arrays.copyOfRange(stream, from, to),
                    i == points.size() - 1)) {
                out.writeBytes(event.raw());
                data.add(event.data());
            }
            from = to;
        }
        assertThat(out.toByteArray()).isEqualTo(stream);
        assertThat(data).isEqualTo(expected);
        assertThat(parser.rest()).isEmpty();
    }

    @Property
    void takingOutANullUsageLeavesEveryOtherMemberAsItWas(@ForAll @Size(max = 5) List<@From("names") String> names,
                                                         @ForAll @IntRange(max = 5) int at, @ForAll boolean spaced)
            throws Exception {
        List<String> members = new ArrayList<>();
        for (String name : names) {
            members.add("\"" + name + "\":{\"usage\":null,\"s\":\"\\\"usage\\\":null\"}");
        }
        members.add(Math.min(at, members.size()), spaced ? "\"usage\" : null" : "\"usage\":null");
        String chunk = "{" + String.join(",", members) + "}";
        String removed = NullUsage.removed(chunk);

        JsonNode expected = JSON.readTree(chunk);
        ((ObjectNode) expected).remove("usage");
        assertThat(JSON.readTree(removed)).isEqualTo(expected);
        assertThat(NullUsage.removed(removed)).isEqualTo(removed);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6).filter(n -> !n.equals("usage"));
    }

    @Example
    void aUsageThatIsNotNullStays() {
        String chunk = "{\"choices\":[],\"usage\":{\"prompt_tokens\":3}}";
        assertThat(NullUsage.removed(chunk)).isEqualTo(chunk);
    }
}
