package dev.platemate.gateway.auth;

import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Getting a token when replicas share one ({@link SharedTokens}): the shared token if it is better than the one
 * held (any, when none is usable; one that lives a second longer, for a refresh); else the replica that takes the
 * lock fetches it from the endpoint and shares it, and the others look for it every {@link #POLL_MILLIS} until it
 * comes or their wait (the token request's own bound) ends. When the store does not answer for
 * {@link #STORE_WAIT_NANOS} (not connected yet, or down) the replica fetches alone. Continues on the token source's event loop.
 */
final class SharedFetch {

    static final long POLL_MILLIS = 100;
    /** How long the store is waited for when it does not answer (not connected yet) before fetching alone. */
    static final long STORE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final String upstream;
    private final SharedTokens shared;
    private final EventLoop loop;
    private final Supplier<CompletableFuture<Token>> endpoint;
    private final long waitNanos;

    /** @param waitNanos how long a fetch may take: the lock lasts a second more, the others wait as long */
    SharedFetch(String upstream, SharedTokens shared, EventLoop loop, Supplier<CompletableFuture<Token>> endpoint,
                long waitNanos) {
        this.upstream = upstream;
        this.shared = shared;
        this.loop = loop;
        this.endpoint = endpoint;
        this.waitNanos = waitNanos;
    }

    /** A token better than {@code held} (which may be null), from the store or the endpoint. */
    CompletableFuture<Token> obtain(Token held) {
        CompletableFuture<Token> result = new CompletableFuture<>();
        attempt(result, held, System.nanoTime() + Math.min(waitNanos, STORE_WAIT_NANOS));
        return result;
    }

    private void attempt(CompletableFuture<Token> result, Token held, long storeDeadline) {
        shared.read(upstream).whenComplete((found, error) -> onLoop(result, () -> {
            Token adopted = better(found, held);
            if (adopted != null) {
                result.complete(adopted);
            } else if (error != null && System.nanoTime() < storeDeadline) {   // not connected yet, or a blip
                loop.schedule(() -> attempt(result, held, storeDeadline), POLL_MILLIS, TimeUnit.MILLISECONDS);
            } else if (error != null) {
                fetch(result, false);   // the store is down: alone, as without it
            } else {
                long lockMillis = TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1000;
                shared.lock(upstream, lockMillis).whenComplete((locked, lockError) -> onLoop(result, () -> {
                    if (lockError != null || Boolean.TRUE.equals(locked)) {
                        fetch(result, lockError == null);
                    } else {
                        waitForOther(result, held, System.nanoTime() + waitNanos);
                    }
                }));
            }
        }));
    }

    private void fetch(CompletableFuture<Token> result, boolean share) {
        endpoint.get().whenComplete((token, error) -> onLoop(result, () -> {
            if (error != null) {
                if (share) {
                    shared.unlock(upstream);
                }
                result.completeExceptionally(error);
                return;
            }
            if (share) {
                shared.write(upstream, token.value(), token.remainingMillis(),
                        TimeUnit.NANOSECONDS.toMillis(token.lifetimeNanos()));
            }
            result.complete(token);
        }));
    }

    private void waitForOther(CompletableFuture<Token> result, Token held, long deadline) {
        loop.schedule(() -> shared.read(upstream).whenComplete((found, error) -> onLoop(result, () -> {
            Token adopted = better(found, held);
            if (adopted != null) {
                result.complete(adopted);
            } else if (System.nanoTime() >= deadline) {
                result.completeExceptionally(new IllegalStateException(
                        "another replica's token request did not finish in time"));
            } else {
                waitForOther(result, held, deadline);
            }
        })), POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The shared token, when it is worth taking over {@code held}; else null. */
    private static Token better(SharedTokens.Shared found, Token held) {
        if (found == null) {
            return null;
        }
        Token token = Token.of(found.token(), TimeUnit.MILLISECONDS.toNanos(found.remainingMillis()),
                TimeUnit.MILLISECONDS.toNanos(found.lifetimeMillis()));
        if (token == null || !token.usable()) {
            return null;
        }
        boolean newer = held == null || !held.usable()
                || token.remainingNanos() > held.remainingNanos() + TimeUnit.SECONDS.toNanos(1);
        return newer ? token : null;
    }

    /** Runs {@code step} on the loop; if it throws, the result fails rather than the loop swallowing it. */
    private void onLoop(CompletableFuture<Token> result, Runnable step) {
        loop.execute(() -> {
            try {
                step.run();
            } catch (Throwable cause) {
                result.completeExceptionally(cause);
            }
        });
    }
}
