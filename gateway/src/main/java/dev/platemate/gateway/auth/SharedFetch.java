package dev.platemate.gateway.auth;

import io.netty.channel.EventLoop;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Getting a token when replicas share one ({@link SharedTokens}): the shared token if it is better than the one
 * held (any, when none is usable; one that lives a second longer, for a refresh) and not the one just refused;
 * else whoever takes the lock looks once more (a token may have been shared just before) and, finding none, fetches
 * one from the endpoint and shares it. The others look again every {@link #POLL_MILLIS}, for the token or for the lock (its
 * holder may have failed), until their wait (the token request's own bound) ends. When the store does not answer
 * for {@link #STORE_WAIT_NANOS} (not connected yet, or down) the replica fetches alone. Continues on the token
 * source's event loop.
 */
final class SharedFetch {

    static final long POLL_MILLIS = 100;
    static final long STORE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final String key;
    private final String owner = UUID.randomUUID().toString();
    private final SharedTokens shared;
    private final EventLoop loop;
    private final Supplier<CompletableFuture<Token>> endpoint;
    private final long waitNanos;

    /**
     * @param waitNanos how long a fetch may take: the lock lasts that, one look at the store and a second more; the
     *                  others wait as long
     */
    SharedFetch(String key, SharedTokens shared, EventLoop loop, Supplier<CompletableFuture<Token>> endpoint,
                long waitNanos) {
        this.key = key;
        this.shared = shared;
        this.loop = loop;
        this.endpoint = endpoint;
        this.waitNanos = waitNanos;
    }

    /** One try at a token: when it started, and what it is to beat. */
    private record Try(CompletableFuture<Token> result, Token held, String refused, long deadline,
                       long storeDeadline) {
    }

    /** A token better than {@code held} (which may be null) and other than {@code refused}. */
    CompletableFuture<Token> obtain(Token held, String refused) {
        long now = System.nanoTime();
        Try attempt = new Try(new CompletableFuture<>(), held, refused, now + waitNanos,
                now + Math.min(waitNanos, STORE_WAIT_NANOS));
        look(attempt);
        return attempt.result();
    }

    private void look(Try attempt) {
        shared.read(key).whenComplete((found, error) -> onLoop(attempt, () -> {
            Token adopted = better(found, attempt);
            if (adopted != null) {
                attempt.result().complete(adopted);
            } else if (error != null && System.nanoTime() < attempt.storeDeadline()) {
                later(attempt);   // not connected yet, or a blip
            } else if (error != null) {
                fetch(attempt, false);   // the store is down: alone, as without it
            } else {
                long lockMillis = TimeUnit.NANOSECONDS.toMillis(waitNanos) + shared.commandTimeout().toMillis()
                        + 1000;
                shared.lock(key, owner, lockMillis).whenComplete((locked, lockError) -> onLoop(attempt, () -> {
                    if (Boolean.TRUE.equals(locked)) {
                        fetchUnlessShared(attempt);
                    } else if (lockError != null) {
                        fetch(attempt, true);   // it may hold it: writing frees only its own
                    } else if (System.nanoTime() >= attempt.deadline()) {
                        attempt.result().completeExceptionally(new NoToken(
                                "another replica's token request did not finish in time", 1));
                    } else {
                        later(attempt);
                    }
                }));
            }
        }));
    }

    /**
     * With the lock: a token shared since the look (its fetcher wrote it and freed the lock just before) is taken
     * and the lock freed; else the fetch.
     */
    private void fetchUnlessShared(Try attempt) {
        shared.read(key).whenComplete((found, error) -> onLoop(attempt, () -> {
            Token adopted = error == null ? better(found, attempt) : null;
            if (adopted != null) {
                attempt.result().complete(adopted);
                shared.unlock(key, owner);
            } else {
                fetch(attempt, true);
            }
        }));
    }

    private void later(Try attempt) {
        loop.schedule(() -> look(attempt), POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void fetch(Try attempt, boolean share) {
        endpoint.get().whenComplete((token, error) -> onLoop(attempt, () -> {
            if (error != null) {
                if (share) {
                    shared.unlock(key, owner);
                }
                attempt.result().completeExceptionally(error);
                return;
            }
            if (share) {
                shared.write(key, owner, token.value(), token.remainingMillis(),
                        TimeUnit.NANOSECONDS.toMillis(token.lifetimeNanos()));
            }
            attempt.result().complete(token);
        }));
    }

    /** The shared token, when it is worth taking over what the try holds; else null. */
    private static Token better(SharedTokens.Shared found, Try attempt) {
        if (found == null || found.token().equals(attempt.refused())) {
            return null;
        }
        Token token = Token.of(found.token(), TimeUnit.MILLISECONDS.toNanos(found.remainingMillis()),
                TimeUnit.MILLISECONDS.toNanos(found.lifetimeMillis()));
        if (token == null || !token.usable()) {
            return null;
        }
        Token held = attempt.held();
        boolean newer = held == null || !held.usable()
                || token.remainingNanos() > held.remainingNanos() + TimeUnit.SECONDS.toNanos(1);
        return newer ? token : null;
    }

    /**
     * Runs {@code step} on the loop; if it throws, the try fails rather than the loop swallowing it, and the lock it
     * may hold goes back at once instead of when it expires.
     */
    private void onLoop(Try attempt, Runnable step) {
        loop.execute(() -> {
            try {
                step.run();
            } catch (Throwable cause) {
                attempt.result().completeExceptionally(cause);
                shared.unlock(key, owner);   // if this try held it (the unlock frees only this owner's)
            }
        });
    }
}
