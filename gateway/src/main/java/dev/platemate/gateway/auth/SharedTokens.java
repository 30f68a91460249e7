package dev.platemate.gateway.auth;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Upstream tokens that replicas share (Redis), so that one fetch serves them all and the token endpoint's rate
 * limits and address allow-list see one client: the token with what is left of its life, and a lock, which
 * expires, held by the replica that fetches. Never blocks; a failure means the replica goes on alone.
 */
public interface SharedTokens {

    /** A shared token, {@code remainingMillis} from its expiry, of a {@code lifetimeMillis} life. */
    record Shared(String token, long remainingMillis, long lifetimeMillis) {
    }

    /** The token replicas share under {@code key} (an upstream and its client), or null. */
    CompletableFuture<Shared> read(String key);

    /** The longest one command takes before it fails. */
    Duration commandTimeout();

    /** Takes the fetch lock for {@code millis}, as {@code owner}. @return whether {@code owner} holds it now */
    CompletableFuture<Boolean> lock(String key, String owner, long millis);

    /** Shares {@code token} (for what is left of its life) and gives the lock back if {@code owner} holds it. */
    CompletableFuture<Void> write(String key, String owner, String token, long remainingMillis, long lifetimeMillis);

    /** Gives the lock back, if {@code owner} holds it. */
    void unlock(String key, String owner);

    /** The upstream refused {@code token}: it is shared no more (if it still is the one shared). */
    void drop(String key, String token);
}
