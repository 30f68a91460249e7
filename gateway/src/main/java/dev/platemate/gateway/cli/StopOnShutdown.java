package dev.platemate.gateway.cli;

import java.util.concurrent.CountDownLatch;

/** Stops a service from a JVM shutdown hook (SIGTERM, SIGINT), and lets the main thread wait for that. */
final class StopOnShutdown {

    /** What is stopped; may wait for draining. */
    interface Service {
        void stop() throws InterruptedException;
    }

    private final CountDownLatch stopped = new CountDownLatch(1);

    StopOnShutdown(String threadName, Service service) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                stopped.countDown();
            }
        }, threadName));
    }

    /** Returns once the shutdown hook has stopped the service. */
    void await() throws InterruptedException {
        stopped.await();
    }
}
