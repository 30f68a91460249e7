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
                writerNow + 120 * SECOND, writerNow + 3720 * SECOND, List.of("accept-language", "x-missing"),
                Arrays.asList(CachedResponse.varyValue("en"), null));
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
        assertThat(read.revalidateUntil()).isEqualTo(readerNow + 3710 * SECOND);
        DefaultHttpHeaders english = new DefaultHttpHeaders();
        english.set("accept-language", "en");
        assertThat(read.matches(english)).isTrue();
        english.set("x-missing", "now present");
        assertThat(read.matches(english)).isFalse();
    }

    @Test
    void anEntryReadAfterItCanBeServedOrRevalidatedIsNothing() {
        long writerNow = 100 * SECOND;
        byte[] bytes = EntryCodec.write(entry(writerNow), writerNow, 0);
        assertThat(EntryCodec.read(bytes, 0, 119_000).stateAt(0)).isEqualTo(ResponseCache.State.STALE_IF_ERROR);
        assertThat(EntryCodec.read(bytes, 0, 120_000).stateAt(0)).isEqualTo(ResponseCache.State.EXPIRED);
        assertThat(EntryCodec.read(bytes, 0, 3_719_000)).isNotNull();
        assertThat(EntryCodec.read(bytes, 0, 3_720_000)).isNull();
        assertThat(EntryCodec.ttlMillis(entry(writerNow), writerNow)).isEqualTo(3_720_000);
    }

    @Test
    void timesThatAreForeverStayForeverOnAReaderWhoseTickerIsAhead() {
        CachedResponse forever = new CachedResponse(200, List.of(), new byte[0], 0, 0, Long.MAX_VALUE,
                Long.MAX_VALUE, Long.MAX_VALUE, CachedResponse.NOT_KEPT, List.of(), List.of());
        byte[] bytes = EntryCodec.write(forever, 0, 0);
        CachedResponse read = EntryCodec.read(bytes, Long.MAX_VALUE / 2, 0);
        assertThat(read.freshUntil()).isEqualTo(Long.MAX_VALUE);
        assertThat(read.revalidateUntil()).isEqualTo(CachedResponse.NOT_KEPT);
        assertThat(read.stateAt(Long.MAX_VALUE / 2)).isEqualTo(ResponseCache.State.FRESH);
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
