package dev.platemate.gateway.pool;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The connections to one upstream that belong to one event loop. All state is touched only on that loop, so it
 * needs no locks; the only shared parts are the counters and the connection budget of {@link UpstreamPool}.
 * Idle connections are reused most-recently-used first, so the warmest is taken and the coldest age out.
 */
final class PerLoopChannelPool {

    private final EventLoop loop;
    private final UpstreamPool parent;
    private final UpstreamConnector connector;
    private final long acquireTimeoutNanos;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<Promise<UpstreamConnection>> waiters = new ArrayDeque<>();
    private volatile int waiterCount;
    // written on this loop only, read by stats from any thread: no shared counter is touched per request
    private volatile int activeCount;
    private volatile int idleCount;

    PerLoopChannelPool(EventLoop loop, UpstreamPool parent, UpstreamConnector connector, long acquireTimeoutNanos) {
        this.loop = loop;
        this.parent = parent;
        this.connector = connector;
        this.acquireTimeoutNanos = acquireTimeoutNanos;
    }

    /**
     * A connection for one request: an idle one unless {@code fresh}, a new one while under max_connections, or,
     * failing both, a place among the waiters. The caller may cancel the future; a connection that arrives for a
     * cancelled request goes back to the pool.
     */
    Future<UpstreamConnection> acquire(boolean fresh) {
        assert loop.inEventLoop();
        Promise<UpstreamConnection> promise = loop.newPromise();
        UpstreamConnection connection = fresh ? null : pollIdle();
        if (connection != null) {
            lease(connection, promise);
        } else if (parent.tryReserveConnection()) {
            connect(promise);
        } else if (parent.tryReservePending()) {
            waiters.add(promise);
            waiterCount = waiters.size();
            loop.schedule(() -> expire(promise), acquireTimeoutNanos, TimeUnit.NANOSECONDS);
        } else {
            promise.setFailure(new PoolExhaustedException("more than " + parent.maxPending()
                    + " requests are already waiting for a connection to " + parent.name()));
        }
        return promise;
    }

    void release(UpstreamConnection connection, boolean reusable) {
        assert loop.inEventLoop();
        activeCount--;
        if (!reusable || parent.retired()) {
            connection.channel().close();
            return;
        }
        Promise<UpstreamConnection> waiter = pollWaiter();
        if (waiter != null) {
            lease(connection, waiter);
        } else if (parent.anyWaiting()) {
            connection.channel().close(); // none waits here: hand the budget to the loop that needs it
        } else {
            idle.push(connection);
            idleCount = idle.size();
        }
    }

    /** Capacity was freed somewhere: serve waiters with idle connections or new ones. Runs on this loop. */
    void serveWaiters() {
        assert loop.inEventLoop();
        Promise<UpstreamConnection> waiter;
        while ((waiter = waiters.peek()) != null) {
            if (!waiter.isDone()) {
                UpstreamConnection connection = pollIdle();
                if (connection == null && !parent.tryReserveConnection()) {
                    return;
                }
                waiters.poll();
                waitersChanged();
                if (connection != null) {
                    lease(connection, waiter);
                } else {
                    connect(waiter);
                }
            } else {
                waiters.poll();
                waitersChanged();
            }
        }
    }

    /** Read from other loops to decide whom to wake; may be a moment out of date. */
    boolean hasWaiters() {
        return waiterCount > 0;
    }

    int activeCount() {
        return activeCount;
    }

    int idleCount() {
        return idleCount;
    }

    EventLoop loop() {
        return loop;
    }

    /** Closes the idle connections (shutdown). */
    void closeIdle() {
        UpstreamConnection connection;
        while ((connection = pollIdle()) != null) {
            connection.channel().close();
        }
    }

    private void connect(Promise<UpstreamConnection> promise) {
        connector.connect(loop, this).addListener((Future<UpstreamConnection> f) -> {
            if (f.isSuccess()) {
                UpstreamConnection connection = f.getNow();
                parent.opened();
                connection.channel().closeFuture().addListener(closed -> onClosed(connection));
                lease(connection, promise);
            } else {
                parent.connectFailed();
                parent.connectionGone();
                promise.tryFailure(f.cause());
            }
        });
    }

    private void lease(UpstreamConnection connection, Promise<UpstreamConnection> promise) {
        activeCount++;
        connection.leased();
        if (!promise.trySuccess(connection)) {
            release(connection, connection.channel().isActive()); // the requester gave up meanwhile
        }
    }

    private void onClosed(UpstreamConnection connection) {
        if (idle.remove(connection)) {
            idleCount = idle.size();
        }
        parent.closed();
        parent.connectionGone();
    }

    private UpstreamConnection pollIdle() {
        UpstreamConnection connection;
        while ((connection = idle.poll()) != null) {
            idleCount = idle.size();
            if (connection.channel().isActive()) {
                return connection;
            }
        }
        return null;
    }

    private Promise<UpstreamConnection> pollWaiter() {
        Promise<UpstreamConnection> waiter;
        while ((waiter = waiters.poll()) != null) {
            waitersChanged();
            if (!waiter.isDone()) {
                return waiter;
            }
        }
        return null;
    }

    /** One waiter left the queue. */
    private void waitersChanged() {
        waiterCount = waiters.size();
        parent.pendingEnded();
    }

    private void expire(Promise<UpstreamConnection> promise) {
        if (waiters.remove(promise)) {
            waitersChanged();
            promise.tryFailure(new PoolExhaustedException("no connection to " + parent.name()
                    + " became free within connect_timeout"));
        }
    }
}
