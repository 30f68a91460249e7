package dev.platemate.gateway.server;

/**
 * Finds the blank line that ends an HTTP head, one byte at a time. The state is how much of "\r\n\r\n" the bytes
 * so far end with; the head ends when it reaches {@link #FOUND}.
 */
public final class HeadEnd {

    public static final int FOUND = 4;

    private HeadEnd() {
    }

    /** The state after {@code b}, given the state {@code seen} before it. */
    public static int next(int seen, byte b) {
        if (b == (seen % 2 == 0 ? '\r' : '\n')) {
            return seen + 1;
        }
        return b == '\r' ? 1 : 0;
    }
}
