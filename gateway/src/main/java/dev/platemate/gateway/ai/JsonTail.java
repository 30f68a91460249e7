package dev.platemate.gateway.ai;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** The last {@code capacity} bytes of an answer too large to copy aside whole: its usage comes at the end. */
final class JsonTail {

    private final byte[] ring;
    private long written;

    JsonTail(int capacity) {
        this.ring = new byte[capacity];
    }

    void add(ByteBuf bytes) {
        for (int i = bytes.readerIndex(); i < bytes.writerIndex(); i++) {
            ring[(int) (written++ % ring.length)] = bytes.getByte(i);
        }
    }

    /** The bytes held, oldest first, as text (a character cut at the front does not matter: usage is ASCII). */
    String text() {
        int size = (int) Math.min(written, ring.length);
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = ring[(int) ((written - size + i) % ring.length)];
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
