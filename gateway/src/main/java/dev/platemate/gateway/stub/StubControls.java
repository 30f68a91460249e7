package dev.platemate.gateway.stub;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What can change in a running stand-in upstream (its admin path, {@code POST /stub/limit} and
 * {@code POST /stub/fail}): how many chat completions it takes at once, and how it fails them. Thread-safe.
 */
public final class StubControls {

    /** How chat completions fail, for demos and tests of fallback. */
    public enum Failure {
        /** They are served. */
        NONE,
        /** The connection is reset as the request arrives: nothing is answered. */
        REFUSE,
        /** 503, with OpenAI's error shape. */
        ERROR_5XX,
        /** Read, never answered, the connection held open. */
        STALL;

        /** {@code none}, {@code refuse}, {@code 5xx} or {@code stall}. */
        public static Optional<Failure> of(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "none" -> Optional.of(NONE);
                case "refuse" -> Optional.of(REFUSE);
                case "5xx" -> Optional.of(ERROR_5XX);
                case "stall" -> Optional.of(STALL);
                default -> Optional.empty();
            };
        }

        public String key() {
            return this == ERROR_5XX ? "5xx" : name().toLowerCase(Locale.ROOT);
        }
    }

    private final AtomicInteger maxConcurrent;
    private volatile Failure failure;

    public StubControls(int maxConcurrent, Failure failure) {
        this.maxConcurrent = new AtomicInteger(maxConcurrent);
        this.failure = failure;
    }

    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    /** From now on, chat completions above {@code max} at once are answered 429. */
    public void maxConcurrent(int max) {
        maxConcurrent.set(Math.max(0, max));
    }

    public Failure failure() {
        return failure;
    }

    public void failure(Failure next) {
        failure = next;
    }
}
