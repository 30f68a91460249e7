package dev.platemate.gateway.auth;

import dev.platemate.gateway.config.OAuthConfig;
import dev.platemate.gateway.pool.UpstreamPool;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream's OAuth 2.0 token, for every request of this process: fetched once started, refreshed
 * {@code refresh_before} its expiry (by default at 80 % of its lifetime, never before half of it) by one request
 * however many wait, and retried with backoff (1 s doubling to a minute) when the endpoint fails; while a retry is
 * due, requests without a token are refused at once (with the time to it), so a failing endpoint sees one request
 * per backoff, not one per client. A token goes out only if it outlives the request's own waits before it is sent,
 * by {@link Token#MARGIN}. The upstream's 401 drops a token at least {@link #MIN_AGE_TO_DROP} old (a younger one
 * is kept, and that 401 is the client's: a fresh token refused says something else is wrong). Answers are read by
 * {@link TokenAnswer}. Neither the secret nor the token is ever logged or shown: {@link #status()} tells only the
 * state, the expiry and the last error. With {@link SharedTokens}, replicas share one token and one fetch
 * ({@link SharedFetch}), under a key of the upstream and a hash of its client. Its state changes on its own event
 * loop; {@link #token} and {@link #rejected} may be called anywhere.
 */
public final class TokenSource implements AutoCloseable {

    static final Duration MIN_AGE_TO_DROP = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(TokenSource.class);

    /** What {@code /health/performance} shows. */
    public record Status(String state, String expiresAt, String lastError) {
    }

    private final String upstream;
    private final OAuthConfig config;
    private final TokenClient client;
    private final EventLoop loop;
    private final UpstreamPool pool;
    private final SharedTokens shared;
    private final String sharedKey;
    private final SharedFetch sharedFetch;
    private final AtomicReference<Token> current = new AtomicReference<>();
    private volatile String lastError = "";
    private volatile String lastRejected = "";
    private volatile long retryAtNanos;
    private volatile CompletableFuture<Token> fetching;
    private ScheduledFuture<?> next;
    private int failures;
    private boolean closed;

    /**
     * @param pool   the token endpoint's own pool (the upstream's TLS settings and egress proxy)
     * @param shared the tokens replicas share, or null to fetch alone
     */
    public TokenSource(String upstream, OAuthConfig config, UpstreamPool pool, EventLoop loop, SharedTokens shared) {
        this.upstream = upstream;
        this.config = config;
        this.pool = pool;
        this.loop = loop;
        this.shared = shared;
        this.client = new TokenClient(pool, loop, config);
        this.sharedKey = upstream + ":" + clientHash(config);
        this.sharedFetch = shared == null ? null : new SharedFetch(sharedKey, shared, loop, this::fromEndpoint,
                client.deadlineNanos());
        if (!config.secure()) {
            log.warn("upstream {}: its token_url is http://: the client secret and the token cross the network in "
                    + "clear", upstream);
        }
    }

    /** Tells one client of one endpoint from another, so that no replica takes a token of another config. */
    private static String clientHash(OAuthConfig config) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(String.join("\n", config.scheme(),
                    config.authority(), config.target(), config.clientId(), config.clientSecret(), config.scope())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Fetches the first token; a failure is logged and retried, never fatal. */
    public TokenSource start() {
        loop.execute(this::fetch);
        return this;
    }

    /**
     * A token that lives {@code waitNanos} more (what the request may wait before it is sent), now or once the
     * fetch under way ends (within the token request's connect_timeout + response_timeout); fails with
     * {@link NoToken} when none could be had.
     */
    public CompletableFuture<String> token(long waitNanos) {
        Token token = current.get();
        if (token != null && token.usableFor(waitNanos)) {
            return CompletableFuture.completedFuture(token.value());
        }
        long untilRetry = retryAtNanos - System.nanoTime();
        if (untilRetry > 0 && fetching == null) {
            return CompletableFuture.failedFuture(new NoToken("no token for upstream " + upstream + ": " + lastError,
                    TimeUnit.NANOSECONDS.toSeconds(untilRetry) + 1));
        }
        CompletableFuture<String> value = new CompletableFuture<>();
        loop.execute(() -> fetch().whenComplete((fetched, error) -> {
            if (error != null) {
                value.completeExceptionally(error);
            } else if (!fetched.usableFor(waitNanos)) {
                value.completeExceptionally(new NoToken("the token of upstream " + upstream + " expires before "
                        + "this request could be sent", 1));
            } else {
                value.complete(fetched.value());
            }
        }));
        return value;
    }

    /**
     * The upstream answered 401 to {@code token}: dropped, unless it is younger than {@link #MIN_AGE_TO_DROP}.
     * Any thread.
     *
     * @return whether sending the request again with the next token makes sense (this one is gone)
     */
    public boolean rejected(String token) {
        Token held = current.get();
        if (held == null || !held.value().equals(token)) {
            return true;   // already replaced
        }
        if (held.ageNanos() < MIN_AGE_TO_DROP.toNanos() || !current.compareAndSet(held, null)) {
            return false;
        }
        lastRejected = token;
        lastError = "the upstream refused the token (401)";
        if (shared != null) {
            shared.drop(sharedKey, token);
        }
        return true;
    }

    public Status status() {
        Token token = current.get();
        String state = token != null && token.usable() ? "valid" : fetching != null ? "fetching"
                : lastError.isEmpty() ? "none" : "failing";
        return new Status(state, token == null ? null : token.expiresAt().toString(),
                lastError.isEmpty() ? null : lastError);
    }

    /** On the loop: the fetch under way, or a new one. */
    private CompletableFuture<Token> fetch() {
        if (fetching != null) {
            return fetching;
        }
        CompletableFuture<Token> result = new CompletableFuture<>();
        fetching = result;
        cancelNext();
        CompletableFuture<Token> got;
        try {
            got = sharedFetch == null ? fromEndpoint() : sharedFetch.obtain(current.get(), lastRejected);
        } catch (RuntimeException e) {
            got = CompletableFuture.failedFuture(e);
        }
        got.whenComplete((token, error) -> loop.execute(() -> {
            fetching = null;
            if (error == null) {
                fetched(token);
                result.complete(token);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            long delay = failed(cause.getMessage());
            result.completeExceptionally(new NoToken("no token for upstream " + upstream + ": " + lastError,
                    TimeUnit.NANOSECONDS.toSeconds(delay) + 1));
        }));
        return result;
    }

    /** A token from the endpoint itself; completes on the loop. */
    private CompletableFuture<Token> fromEndpoint() {
        return client.fetch().thenApply(TokenAnswer::read);
    }

    private void fetched(Token token) {
        current.set(token);
        failures = 0;
        retryAtNanos = 0;
        lastError = "";
        long remaining = token.remainingNanos();
        long before = config.refreshBefore().map(Duration::toNanos).orElse(token.lifetimeNanos() / 5);
        schedule(Math.max(remaining / 2, remaining - before));   // an adopted token has lived part of its life
        log.info("upstream {}: token fetched, valid until {}", upstream, token.expiresAt());
    }

    /** @return nanoseconds until the next try */
    private long failed(String why) {
        lastError = why == null ? "the token request failed" : why;
        Token held = current.get();
        if (held != null && !held.usable()) {
            current.compareAndSet(held, null);   // an expired token is never sent
        }
        failures++;
        long delay = Math.min(TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(1) << Math.min(6, failures - 1));
        retryAtNanos = System.nanoTime() + delay;
        schedule(delay);
        if (failures <= 3 || failures % 10 == 0) {   // a long outage is told, not shouted
            log.warn("upstream {}: no token ({}, {} times); trying again in {} ms", upstream, lastError, failures,
                    TimeUnit.NANOSECONDS.toMillis(delay));
        }
        return delay;
    }

    private void schedule(long delayNanos) {
        cancelNext();
        if (!closed) {
            next = loop.schedule(this::fetch, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancelNext() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }

    /** Stops refreshing, and retires the token endpoint's pool. */
    @Override
    public void close() {
        loop.execute(() -> {
            closed = true;
            cancelNext();
            pool.retire();
        });
    }
}
