package dev.platemate.gateway.cache;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sweeps expired entries out of memory every {@code cache.sweep_interval}, on its own thread. */
public final class CacheSweeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CacheSweeper.class);

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cache-sweeper");
        t.setDaemon(true);
        return t;
    });

    public CacheSweeper(ResponseCache cache, Duration interval) {
        thread.scheduleAtFixedRate(() -> {
            try {
                cache.sweep();
            } catch (RuntimeException e) {
                log.warn("Cache sweep failed: {}", e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        log.info("Cache sweeper started (every {})", dev.platemate.gateway.config.Durations.format(interval));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
