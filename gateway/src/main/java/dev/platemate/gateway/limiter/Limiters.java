package dev.platemate.gateway.limiter;

import dev.platemate.gateway.config.LimiterConfig;
import io.netty.util.concurrent.EventExecutor;

/** Creates limiters. */
public final class Limiters {

    private Limiters() {
    }

    /** A FIFO slot queue for {@code config}; {@code timer} wakes it at the end of a pause. */
    public static Limiter slotQueue(LimiterConfig config, Ticker ticker, EventExecutor timer) {
        return new SlotQueue(config, ticker, timer, null);
    }

    /** A FIFO slot queue whose slots are counted with other replicas' in {@code shared}. */
    public static Limiter sharedSlotQueue(LimiterConfig config, Ticker ticker, EventExecutor timer,
                                          SharedSlots shared) {
        return new SlotQueue(config, ticker, timer, shared);
    }
}
