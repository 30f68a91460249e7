package dev.platemate.gateway.cache;

import dev.platemate.gateway.wire.WireNumbers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A stored response as bytes for the shared tier, and back. A response's times are kept on each replica's own
 * ticker, so they travel as what is left of each (fresh, stale-while-revalidate, stale-if-error) and its age,
 * stamped with the wall clock of the write; the reader takes off what passed since. So the TTLs carry over, and
 * an entry read after its time is not served.
 */
final class EntryCodec {

    private static final int VERSION = 2;

    private EntryCodec() {
    }

    /** @param now the writer's ticker time */
    static byte[] write(CachedResponse entry, long now, long wallMillis) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(entry.body().length + 256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(VERSION);
            out.writeLong(wallMillis);
            out.writeInt(entry.status());
            out.writeLong(entry.ageSeconds(now));
            out.writeLong(remaining(entry.freshUntil(), now));
            out.writeLong(remaining(entry.staleWhileRevalidateUntil(), now));
            out.writeLong(remaining(entry.staleIfErrorUntil(), now));
            out.writeBoolean(entry.revalidateUntil() != CachedResponse.NOT_KEPT);
            out.writeLong(remaining(entry.revalidateUntil(), now));
            out.writeInt(entry.headers().size());
            for (Map.Entry<String, String> header : entry.headers()) {
                writeString(out, header.getKey());
                writeString(out, header.getValue());
            }
            out.writeInt(entry.varyNames().size());
            for (int i = 0; i < entry.varyNames().size(); i++) {
                writeString(out, entry.varyNames().get(i));
                String value = entry.varyValues().get(i);
                out.writeBoolean(value != null);
                writeString(out, value == null ? "" : value);
            }
            writeBytes(out, entry.body());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * The entry on the reader's ticker, or null when the bytes are not an entry of this version or it can no
     * longer be served.
     *
     * @param now the reader's ticker time
     */
    static CachedResponse read(byte[] bytes, long now, long wallMillis) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != VERSION) {
                return null;
            }
            long elapsed = Math.max(0, wallMillis - in.readLong()) * 1_000_000L;
            int status = in.readInt();
            long age = in.readLong();
            long writtenAt = now - elapsed;   // on this reader's ticker; the times left saturate (forever stays so)
            long fresh = WireNumbers.saturatedAdd(writtenAt, in.readLong());
            long staleWhileRevalidate = WireNumbers.saturatedAdd(writtenAt, in.readLong());
            long staleIfError = WireNumbers.saturatedAdd(writtenAt, in.readLong());
            boolean kept = in.readBoolean();
            long revalidate = WireNumbers.saturatedAdd(writtenAt, in.readLong());
            revalidate = kept ? revalidate : CachedResponse.NOT_KEPT;
            int headerCount = in.readInt();
            List<Map.Entry<String, String>> headers = new ArrayList<>(headerCount);
            for (int i = 0; i < headerCount; i++) {
                headers.add(new AbstractMap.SimpleImmutableEntry<>(readString(in), readString(in)));
            }
            int varyCount = in.readInt();
            List<String> varyNames = new ArrayList<>(varyCount);
            List<String> varyValues = new ArrayList<>(varyCount);
            for (int i = 0; i < varyCount; i++) {
                varyNames.add(readString(in));
                boolean present = in.readBoolean();
                String value = readString(in);
                varyValues.add(present ? value : null);
            }
            byte[] body = readBytes(in);
            CachedResponse entry = new CachedResponse(status, headers, body, writtenAt, age, fresh,
                    staleWhileRevalidate, staleIfError, revalidate, varyNames, varyValues);
            return entry.stateAt(now) == ResponseCache.State.MISS ? null : entry;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The time from {@code now} until {@code until}, saturated (forever stays forever). */
    private static long remaining(long until, long now) {
        return until == CachedResponse.NOT_KEPT ? 0 : WireNumbers.saturatedAdd(until, -now);
    }

    /** How long the shared tier should keep it: until it can no longer be served, even stale. */
    static long ttlMillis(CachedResponse entry, long now) {
        return Math.max(0, (entry.expiresAt() - now) / 1_000_000L);
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("bad length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
