package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.probe.Probe;
import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestUpstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A queued client that has gone (its reset is at the gateway) when its slot comes free is never dispatched, even
 * when its event loop is busy at that moment and has not read the reset yet: the race of two event loops, set up
 * on purpose. The queued client's loop is held inside another connection's read while its reset arrives and the
 * slot is granted on the other loop; a pooled upstream connection waits on its loop, so a dispatch would reach
 * the provider at once.
 */
class GrantRaceTest {

    @Test
    void aClientWhoseResetIsHereButNotYetReadIsNotDispatchedWhenItsSlotComes() throws Exception {
        AtomicInteger decoded = new AtomicInteger();
        AtomicReference<Thread> queuedLoop = new AtomicReference<>();
        AtomicReference<Thread> blocked = new AtomicReference<>();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Probe probe = stage -> {
            if (stage != Probe.Stage.DECODE) {
                return;
            }
            int n = decoded.incrementAndGet();
            if (n == 1) {
                queuedLoop.set(Thread.currentThread());   // the queued client's connection: its warm-up request
            } else if (n > 3 && Thread.currentThread() == queuedLoop.get()
                    && blocked.compareAndSet(null, Thread.currentThread())) {
                holding.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);   // this loop is busy, as if with another client's read
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (TestUpstream upstream = TestUpstream.plain();
             TestGateway gateway = TestGateway.start(TestGateway.withLimiter(TestGateway.config(upstream.url()),
                     "max_concurrent: 1, max_queue: 10, queue_timeout: 30s")
                     .replace("shutdown_timeout: 5s", "shutdown_timeout: 5s\n  io_threads: 2"), probe)) {
            RawClient queued = new RawClient(gateway.port());
            queued.send("GET /api/ai?ms=1 HTTP/1.1\r\nHost: x\r\nX-Seq: 1\r\n\r\n");   // leaves a pooled connection
            String head = queued.readHead();
            assertThat(head).startsWith("HTTP/1.1 200");
            queued.readBytes(contentLength(head));
            RawClient holder = new RawClient(gateway.port());
            holder.send("GET /api/hang HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 1);
            queued.send("GET /api/ai?ms=1 HTTP/1.1\r\nHost: x\r\nX-Seq: 2\r\n\r\n");
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 1);

            List<RawClient> others = new ArrayList<>();
            while (blocked.get() == null && others.size() < 16) {   // until one lands on the queued client's loop
                RawClient other = new RawClient(gateway.port());
                other.send("GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
                others.add(other);
                holding.await(200, TimeUnit.MILLISECONDS);
            }
            assertThat(blocked.get()).as("a connection landed on the queued client's loop").isNotNull();
            queued.abort();   // its reset is here; its loop, busy, has not read it
            holder.abort();   // the slot comes free on the other loop and is granted to the queued request
            await().until(() -> gateway.gateway().limiterStats().get("ai").queued() == 0);
            release.countDown();

            await().until(() -> gateway.gateway().limiterStats().get("ai").active() == 0);
            assertThat(upstream.aiArrivals.stream().map(arrival -> arrival[0]).toList()).containsExactly(1L);
            for (RawClient other : others) {
                other.close();
            }
        } finally {
            release.countDown();
        }
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        throw new AssertionError("no content-length in " + head);
    }
}
