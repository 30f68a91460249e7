package dev.platemate.gateway.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The close frames the gateway reads and writes itself (RFC 6455 section 5.5.1): a code and a reason. Every other
 * frame passes as the bytes it came in. Stateless.
 */
final class CloseFrames {

    /** A close without a code (RFC 6455 section 7.1.5); never sent. */
    static final int NO_CODE = 1005;

    private CloseFrames() {
    }

    /**
     * A close frame with {@code code} and {@code reason} (at most 123 bytes of it), masked with a random key when it
     * goes to an upstream (a client's frames are masked).
     */
    static ByteBuf encode(ByteBufAllocator alloc, int code, String reason, boolean masked) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int length = 2 + Math.min(text.length, 123);
        ByteBuf frame = alloc.buffer(2 + (masked ? 4 : 0) + length);
        frame.writeByte(0x88);   // FIN, close
        frame.writeByte((masked ? 0x80 : 0) | length);
        byte[] payload = new byte[length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, length - 2);
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            frame.writeBytes(key);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= key[i & 3];
            }
        }
        return frame.writeBytes(payload);
    }

    /** Whether a code may be sent in a close frame: 1000-1003, 1007-1014, or 3000-4999 (registered or private). */
    static boolean sendable(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }

    /** The code of a close frame's payload, unmasked; -1 when it has none. */
    static int code(byte[] payload) {
        return payload.length < 2 ? -1 : (payload[0] & 0xff) << 8 | payload[1] & 0xff;
    }

    static String reason(byte[] payload) {
        return payload.length <= 2 ? "" : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    }
}
