package dev.platemate.gateway.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An entry written by one replica and read by another, whose ticker is unrelated and whose read comes later. */
class EntryCodecTest {

    private static final long SECOND = 1_000_000_000L;

    private static CachedResponse entry(long writerNow) {
        List<Map.Entry<String, String>> headers = List.of(
                new AbstractMap.SimpleImmutableEntry<>("content-type", "application/json"),
                new AbstractMap.SimpleImmutableEntry<>("etag", "\"é-1\""));
        return new CachedResponse(200, headers, "{\"food\":\"apple\"}".getBytes(StandardCharsets.UTF_8),
                writerNow - 5 * SECOND, 3, writerNow + 60 * SECOND, writerNow + 90 * SECOND,
                writerNow + 120 * SECOND, List.of("accept-language", "x-missing"), Arrays.asList("en", null));
    }

    @Test
    void freshnessAgeHeadersVaryAndBodyCarryOverAcrossClocks() {
        long writerNow = 7_000 * SECOND;
        byte[] bytes = EntryCodec.write(entry(writerNow), writerNow, 1_000_000L);

        long readerNow = 42 * SECOND; // another replica's ticker, 10 s of wall clock later
        CachedResponse read = EntryCodec.read(bytes, readerNow, 1_010_000L);
        assertThat(read).isNotNull();
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.headers()).isEqualTo(entry(writerNow).headers());
        assertThat(new String(read.body(), StandardCharsets.UTF_8)).isEqualTo("{\"food\":\"apple\"}");
        assertThat(read.ageSeconds(readerNow)).isEqualTo(3 + 5 + 10);
        assertThat(read.freshUntil()).isEqualTo(readerNow + 50 * SECOND);
        assertThat(read.staleWhileRevalidateUntil()).isEqualTo(readerNow + 80 * SECOND);
        assertThat(read.staleIfErrorUntil()).isEqualTo(readerNow + 110 * SECOND);
        DefaultHttpHeaders english = new DefaultHttpHeaders();
        english.set("accept-language", "en");
        assertThat(read.matches(english)).isTrue();
        english.set("x-missing", "now present");
        assertThat(read.matches(english)).isFalse();
    }

    @Test
    void anEntryReadAfterItCanBeServedIsNothing() {
        long writerNow = 100 * SECOND;
        byte[] bytes = EntryCodec.write(entry(writerNow), writerNow, 0);
        assertThat(EntryCodec.read(bytes, 0, 119_000)).isNotNull();
        assertThat(EntryCodec.read(bytes, 0, 120_000)).isNull();
        assertThat(EntryCodec.ttlMillis(entry(writerNow), writerNow)).isEqualTo(120_000);
    }

    @Test
    void bytesThatAreNotAnEntryAreNothing() {
        assertThat(EntryCodec.read(new byte[0], 0, 0)).isNull();
        assertThat(EntryCodec.read("not an entry at all".getBytes(StandardCharsets.UTF_8), 0, 0)).isNull();
        byte[] truncated = Arrays.copyOf(EntryCodec.write(entry(SECOND), SECOND, 0), 40);
        assertThat(EntryCodec.read(truncated, SECOND, 0)).isNull();
    }

    @Test
    void anEntryWhoseHeaderCouldEndALineIsNothing() {
        byte[] bytes = EntryCodec.write(entry(SECOND), SECOND, 0);
        assertThat(EntryCodec.read(bytes, SECOND, 0)).isNotNull();
        byte[] json = "application/json".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, json);
        bytes[at + 11] = '\r'; // "application\rjson": as if another writer had stored a header that ends a line
        assertThat(EntryCodec.read(bytes, SECOND, 0)).isNull();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
