package dev.platemate.gateway.limiter;

/** A source of monotonic nanoseconds, injected so tests can measure waits without real time. */
@FunctionalInterface
public interface Ticker {

    long read();

    static Ticker system() {
        return System::nanoTime;
    }
}
