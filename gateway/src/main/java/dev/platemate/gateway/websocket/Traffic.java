package dev.platemate.gateway.websocket;

/**
 * What one session carried each way, counted from the data frames' heads, and the rule of max_message_size: a
 * message's frames added up, known before their payload passes. The route's books hear of every frame; an upstream
 * text message of one frame is shown to the Realtime reader. One per session; event-loop only.
 */
final class Traffic {

    /** What {@link #head} says of a frame. */
    static final int PASS = 0;
    static final int CAPTURE = 1;
    static final int TOO_BIG = 2;

    private final long maxMessage;
    private final RealtimeUsage realtime;
    private final long[] messageBytes = new long[2];
    private final long[] messages = new long[2];
    private final long[] bytes = new long[2];
    private RouteSessions route;

    Traffic(long maxMessage, RealtimeUsage realtime) {
        this.maxMessage = maxMessage;
        this.realtime = realtime;
    }

    /** The session started: its frames count in {@code route}'s books from now on. */
    void bookedIn(RouteSessions route) {
        this.route = route;
    }

    /**
     * The head of a data frame from {@code from}.
     *
     * @param counted whether it passes (not after a close), and so counts
     * @return {@link #TOO_BIG}, or whether its payload is to be {@link #CAPTURE}d (a Realtime event) or only passed
     */
    int head(Side from, int opcode, boolean fin, long length, boolean counted) {
        int i = from.ordinal();
        long before = opcode == 0 ? messageBytes[i] : 0;
        if (length > maxMessage - before) {   // no sum that could overflow
            return TOO_BIG;
        }
        messageBytes[i] = before + length;
        if (!counted) {
            return PASS;
        }
        bytes[i] += length;
        if (fin) {
            messages[i]++;
            route.message(from, length);
        } else {
            route.payload(from, length);
        }
        if (from == Side.UPSTREAM && opcode == 1 && fin) {
            realtime.begin(length);
            return CAPTURE;
        }
        return PASS;
    }

    /** The session as it ended, with what it carried each way and the tokens of its Realtime responses. */
    SessionSummary summary(Session.Origin origin, long durationNanos, int closeCode, String closedBy, String reason) {
        return new SessionSummary(origin.client(), origin.path(), origin.route(), origin.upstream(), durationNanos,
                messages[0], messages[1], bytes[0], bytes[1], closeCode, closedBy, reason, realtime.total());
    }
}
