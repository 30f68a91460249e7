package dev.platemate.gateway.pool;

import dev.platemate.gateway.config.UpstreamConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * All connections to one upstream: one {@link PerLoopChannelPool} per event loop of the worker group, so a request
 * gets its upstream connection on its own client connection's loop, with no locks and no thread hops. The loops
 * share a budget of {@code pool.max_connections} and {@code pool.max_pending}, and the counters for stats.
 */
public final class UpstreamPool {

    private final UpstreamConfig config;
    private final Map<EventExecutor, PerLoopChannelPool> perLoop = new IdentityHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder opened = new LongAdder();
    private final LongAdder closed = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private volatile boolean retired;

    public UpstreamPool(UpstreamConfig config, EventLoopGroup workers, UpstreamConnector connector) {
        this.config = config;
        long acquireTimeout = config.connectTimeout().toNanos();
        for (EventExecutor executor : workers) {
            perLoop.put(executor, new PerLoopChannelPool((EventLoop) executor, this, connector, acquireTimeout));
        }
    }

    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    /**
     * A connection on {@code loop}, which must be the caller's own. {@code fresh} skips idle connections (for a
     * retry after a stale one failed). Fails with {@link PoolExhaustedException} or the connect failure.
     */
    public Future<UpstreamConnection> acquire(EventLoop loop, boolean fresh) {
        return perLoop.get(loop).acquire(fresh);
    }

    public PoolStats stats() {
        int active = 0;
        int idle = 0;
        for (PerLoopChannelPool pool : perLoop.values()) {
            active += pool.activeCount();
            idle += pool.idleCount();
        }
        return new PoolStats(active, idle, pending.get(), opened.sum(), closed.sum(), connectFailures.sum());
    }

    /**
     * A reload replaced this pool: its idle connections close now, and every connection in use closes when its
     * request ends. Any thread.
     */
    public void retire() {
        retired = true;
        closeIdle();
    }

    boolean retired() {
        return retired;
    }

    /** Whether it was retired and its last connection (idle, leased or being opened) is gone: nothing to keep. */
    public boolean drained() {
        return retired && connections.get() == 0 && pending.get() == 0;
    }

    /** Closes every idle connection; called at shutdown from any thread. */
    public void closeIdle() {
        perLoop.values().forEach(pool -> pool.loop().execute(pool::closeIdle));
    }

    int maxPending() {
        return config.pool().maxPending();
    }

    boolean tryReserveConnection() {
        return tryIncrement(connections, config.pool().maxConnections());
    }

    boolean tryReservePending() {
        return tryIncrement(pending, config.pool().maxPending());
    }

    private static boolean tryIncrement(AtomicInteger counter, int max) {
        while (true) {
            int n = counter.get();
            if (n >= max) {
                return false;
            }
            if (counter.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** A connection slot was given back (closed, or a connect failed): wake waiting loops. */
    void connectionGone() {
        connections.decrementAndGet();
        for (PerLoopChannelPool pool : perLoop.values()) {
            if (pool.hasWaiters()) {
                pool.loop().execute(pool::serveWaiters);
            }
        }
    }

    /** Whether a request waits for a connection anywhere; one volatile read, as every release asks. */
    boolean anyWaiting() {
        return pending.get() > 0;
    }

    void pendingEnded() {
        pending.decrementAndGet();
    }

    void opened() {
        opened.increment();
    }

    void closed() {
        closed.increment();
    }

    void connectFailed() {
        connectFailures.increment();
    }
}
