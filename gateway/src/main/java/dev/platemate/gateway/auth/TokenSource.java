package dev.platemate.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.config.OAuthConfig;
import dev.platemate.gateway.pool.UpstreamPool;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream's OAuth 2.0 token, for every request of this process: fetched at start, refreshed
 * {@code refresh_before} its expiry (by default at 80 % of its lifetime, never before half of it) by one request
 * however many wait, fetched again at once when the upstream refuses it (401), and retried with backoff (1 s
 * doubling to a minute) when the endpoint fails. A token is never handed out within {@link Token#MARGIN} of its
 * expiry. With {@link SharedTokens}, replicas share one token and one fetch ({@link SharedFetch}).
 * The endpoint's answer is read as a number from the wire: empty, not JSON, no {@code access_token}, one that could
 * not be a header value, another {@code token_type} than Bearer, or an {@code expires_in} outside 1 s to a year
 * are refused. Neither the secret nor the token is ever logged or shown: {@link #status()} tells only the state,
 * the expiry and the last error. Its state changes on its own event loop; {@link #token()} may be called anywhere.
 */
public final class TokenSource implements AutoCloseable {

    static final long MAX_LIFETIME_SECONDS = 366L * 24 * 3600;
    /** When the endpoint says nothing of the lifetime: an hour, and a 401 tells if it was shorter. */
    static final long DEFAULT_LIFETIME_SECONDS = 3600;
    private static final ObjectMapper JSON = new ObjectMapper();
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
    private final SharedFetch sharedFetch;
    private final AtomicReference<Token> current = new AtomicReference<>();
    private volatile String lastError = "";
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
        this.sharedFetch = shared == null ? null : new SharedFetch(upstream, shared, loop, this::fromEndpoint,
                client.deadlineNanos());
    }

    /** Fetches the first token; a failure is logged and retried, never fatal. */
    public TokenSource start() {
        loop.execute(this::fetch);
        return this;
    }

    /**
     * A token valid now, or the one being fetched (within the token request's connect_timeout +
     * response_timeout); fails when none could be had.
     */
    public CompletableFuture<String> token() {
        Token token = current.get();
        if (token != null && token.usable()) {
            return CompletableFuture.completedFuture(token.value());
        }
        CompletableFuture<String> value = new CompletableFuture<>();
        loop.execute(() -> fetch().whenComplete((fetched, error) -> {
            if (error != null) {
                value.completeExceptionally(error);
            } else {
                value.complete(fetched.value());
            }
        }));
        return value;
    }

    /**
     * The upstream refused {@code token} (401): it is dropped at once, so the next {@link #token()} fetches a new
     * one (a token fetched meanwhile stays). Any thread.
     */
    public void rejected(String token) {
        Token held = current.get();
        if (held != null && held.value().equals(token) && current.compareAndSet(held, null)) {
            lastError = "the upstream refused the token (401)";
            if (shared != null) {
                shared.drop(upstream, token);
            }
        }
    }

    public Status status() {
        Token token = current.get();
        String state = token != null && token.usable() ? "valid" : fetching != null ? "fetching" : lastError.isEmpty() ? "none"
                : "failing";
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
        CompletableFuture<Token> got = sharedFetch == null ? fromEndpoint() : sharedFetch.obtain(current.get());
        got.whenComplete((token, error) -> loop.execute(() -> {
            fetching = null;
            try {
                if (error != null) {
                    throw error;
                }
                fetched(token);
                result.complete(token);
            } catch (Throwable cause) {
                failed(cause instanceof CompletionException && cause.getCause() != null
                        ? cause.getCause().getMessage() : cause.getMessage());
                result.completeExceptionally(new IllegalStateException("no token for upstream " + upstream + ": "
                        + lastError));
            }
        }));
        return result;
    }

    /** A token from the endpoint itself; completes on the loop. */
    private CompletableFuture<Token> fromEndpoint() {
        return client.fetch().thenApply(answer -> {
            Token token = read(answer);
            if (token == null) {
                throw new IllegalStateException(lastError);
            }
            return token;
        });
    }

    /** The token in {@code answer}, or null (and {@link #lastError} says why). */
    private Token read(TokenClient.Answer answer) {
        if (answer.status() != 200) {
            lastError = "the token endpoint answered " + answer.status();
            return null;
        }
        JsonNode json;
        try {
            json = JSON.readTree(answer.body());
        } catch (Exception e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            lastError = answer.body().length == 0 ? "the token endpoint's answer is empty"
                    : "the token endpoint's answer is not a JSON object";
            return null;
        }
        String value = json.path("access_token").asText("");
        if (!json.path("access_token").isTextual() || Token.of(value, 1, 1) == null) {
            lastError = "the token endpoint's answer has no usable access_token";
            return null;
        }
        if (json.has("token_type") && !json.path("token_type").asText("").equalsIgnoreCase("bearer")) {
            lastError = "the token endpoint's token_type is not Bearer";
            return null;
        }
        JsonNode expiresIn = json.path("expires_in");
        long lifetime = expiresIn.isMissingNode() ? DEFAULT_LIFETIME_SECONDS
                : expiresIn.canConvertToExactIntegral() ? expiresIn.asLong(-1) : -1;
        if (lifetime < 1 || lifetime > MAX_LIFETIME_SECONDS) {
            lastError = "the token endpoint's expires_in is out of range (1 s to a year)";
            return null;
        }
        long nanos = TimeUnit.SECONDS.toNanos(lifetime);
        return Token.of(value, nanos, nanos);
    }

    private void fetched(Token token) {
        current.set(token);
        failures = 0;
        lastError = "";
        long remaining = token.remainingNanos();
        long before = config.refreshBefore().map(Duration::toNanos).orElse(token.lifetimeNanos() / 5);
        schedule(Math.max(remaining / 2, remaining - before));   // an adopted token has lived part of its life
        log.info("upstream {}: token fetched, valid until {}", upstream, token.expiresAt());
    }

    private void failed(String why) {
        lastError = why == null ? "the token request failed" : why;
        Token held = current.get();
        if (held != null && !held.usable()) {
            current.compareAndSet(held, null);   // an expired token is never sent
        }
        failures++;
        long delay = Math.min(TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(1) << Math.min(6, failures - 1));
        schedule(delay);
        log.warn("upstream {}: no token ({}); trying again in {} ms", upstream, lastError,
                TimeUnit.NANOSECONDS.toMillis(delay));
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
