package dev.platemate.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.CallerRateLimitConfig;
import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.UpstreamConfig.CircuitBreakerConfig;
import dev.platemate.gateway.limiter.Ticker;
import dev.platemate.gateway.ratelimit.CallerRateLimits;
import dev.platemate.gateway.ratelimit.RateLimitDecision;
import dev.platemate.gateway.ratelimit.TokenBucket;
import io.netty.channel.DefaultEventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Breaker, buckets and budget without sockets; a fake ticker moves time. */
class ResilienceUnitsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void theBreakerOpensAfterConsecutiveFailuresHalfOpensAndCloses() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(3, Duration.ofSeconds(30)), ticker);
        breaker.onFailure(breaker.tryPass());
        breaker.onFailure(breaker.tryPass());
        breaker.onSuccess(breaker.tryPass()); // consecutive: a success starts the count again
        breaker.onFailure(breaker.tryPass());
        breaker.onFailure(breaker.tryPass());
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.onFailure(breaker.tryPass());
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.tryPass()).isEqualTo(CircuitBreaker.REFUSED);
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);

        advance(Duration.ofSeconds(30));
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        long trial = breaker.tryPass();
        assertThat(trial).isNotEqualTo(CircuitBreaker.REFUSED);
        assertThat(breaker.tryPass()).as("one trial at a time").isEqualTo(CircuitBreaker.REFUSED);
        breaker.onSuccess(trial);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryPass()).isNotEqualTo(CircuitBreaker.REFUSED);
    }

    @Test
    void answersToRequestsLetThroughBeforeItOpenedDoNotChangeAnOpenBreaker() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(2, Duration.ofSeconds(30)), ticker);
        long slow = breaker.tryPass(); // a slow request admitted while it was still closed
        breaker.onFailure(breaker.tryPass());
        breaker.onFailure(breaker.tryPass());
        breaker.onSuccess(slow);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.tryPass()).isEqualTo(CircuitBreaker.REFUSED);
        breaker.onFailure(slow);
        assertThat(breaker.timesOpened()).isEqualTo(1);
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void halfOpenOnlyTheTrialsVerdictCounts() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(1, Duration.ofSeconds(10)), ticker);
        long longAnswer = breaker.tryPass(); // a 120 s AI answer, admitted while closed
        breaker.onFailure(breaker.tryPass());
        advance(Duration.ofSeconds(10));
        long trial = breaker.tryPass();
        assertThat(trial).isNotEqualTo(CircuitBreaker.REFUSED);

        breaker.onSuccess(longAnswer);
        assertThat(breaker.state()).as("an old success does not close it").isEqualTo(CircuitBreaker.State.HALF_OPEN);
        breaker.onAbandoned(longAnswer);
        assertThat(breaker.tryPass()).as("nor frees the trial").isEqualTo(CircuitBreaker.REFUSED);
        breaker.onFailure(longAnswer);
        assertThat(breaker.state()).as("nor does an old failure open it").isEqualTo(CircuitBreaker.State.HALF_OPEN);

        breaker.onFailure(trial);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.timesOpened()).isEqualTo(2);
    }

    @Test
    void aFailedTrialOpensAgainAndAnAbandonedOneFreesTheTrial() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(1, Duration.ofSeconds(10)), ticker);
        breaker.onFailure(breaker.tryPass());
        advance(Duration.ofSeconds(10));
        long trial = breaker.tryPass();
        assertThat(trial).isNotEqualTo(CircuitBreaker.REFUSED);
        breaker.onAbandoned(trial);
        long next = breaker.tryPass();
        assertThat(next).isNotEqualTo(CircuitBreaker.REFUSED);
        breaker.onFailure(next);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.timesOpened()).isEqualTo(2);
    }

    @Test
    void aBucketAllowsItsRateThenRefusesWithTheTimeToTheNextToken() {
        TokenBucket bucket = new TokenBucket(5, Duration.ofSeconds(10), ticker);
        for (int i = 4; i >= 0; i--) {
            RateLimitDecision decision = bucket.tryTake();
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).isEqualTo(i);
            assertThat(decision.limit()).isEqualTo(5);
        }
        RateLimitDecision refused = bucket.tryTake();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(2); // one token per 2 s
        advance(Duration.ofSeconds(2));
        assertThat(bucket.tryTake().allowed()).isTrue();
    }

    @Test
    void aBucketWaitsOnTheLoopUpToMaxWait() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            TokenBucket bucket = new TokenBucket(1, Duration.ofMillis(300), Ticker.system());
            assertThat(bucket.tryTake().allowed()).isTrue();
            long started = System.nanoTime();
            assertThat(bucket.take(Duration.ofSeconds(2), loop).get(5, TimeUnit.SECONDS).allowed()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertThat(bucket.take(Duration.ofMillis(10), loop).get(5, TimeUnit.SECONDS).allowed()).isFalse();
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void callersAreLimitedApartByHeaderOrAddress() throws Exception {
        CallerRateLimits limits = new CallerRateLimits(List.of(
                new CallerRateLimitConfig(Optional.of("X-Client-Id"), 2, Duration.ofMinutes(1), 0)),
                List.of(Cidr.parse("10.0.0.0/8").orElseThrow()), ticker, null);
        InetAddress peer = InetAddress.getByName("192.0.2.1");
        DefaultHttpHeaders alice = new DefaultHttpHeaders();
        alice.set("x-client-id", "alice");
        DefaultHttpHeaders bob = new DefaultHttpHeaders();
        bob.set("x-client-id", "bob");
        assertThat(limits.check(alice, peer).join().allowed()).isTrue();
        assertThat(limits.check(alice, peer).join().allowed()).isTrue();
        assertThat(limits.check(alice, peer).join().allowed()).isFalse();
        assertThat(limits.check(bob, peer).join().allowed()).isTrue();

        // no header: the address counts; behind trusted proxies, the right-most X-Forwarded-For address that is
        // not one of them: what the client wrote to the left of it changes nothing
        InetAddress proxy = InetAddress.getByName("10.1.1.1");
        assertThat(limits.check(forwardedFor("1.1.1.1, 198.51.100.7, 10.2.2.2"), proxy).join().allowed()).isTrue();
        assertThat(limits.check(forwardedFor("2.2.2.2, 198.51.100.7"), proxy).join().allowed()).isTrue();
        assertThat(limits.check(forwardedFor("3.3.3.3", "198.51.100.7, 10.9.9.9"), proxy).join().allowed())
                .as("the same caller, however it fills the left of the header").isFalse();
        assertThat(limits.check(forwardedFor("198.51.100.8"), proxy).join().allowed()).isTrue();
        assertThat(limits.check(forwardedFor("198.51.100.8, not-an-address"), proxy).join().allowed())
                .as("a hop that is no address is nobody the proxies vouch for").isTrue();
        // from a peer that is not trusted, the header is the client's own words: the peer counts
        InetAddress stranger = InetAddress.getByName("192.0.2.9");
        assertThat(limits.check(forwardedFor("198.51.100.7"), stranger).join().allowed()).isTrue();
        assertThat(limits.check(forwardedFor("198.51.100.7"), stranger).join().allowed()).isTrue();
    }

    private static DefaultHttpHeaders forwardedFor(String... values) {
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        for (String value : values) {
            headers.add("x-forwarded-for", value);
        }
        return headers;
    }

    @Test
    void theRetryBudgetIsAFifthOfRequestsInFlightAndAtLeastOne() {
        RetryBudget budget = new RetryBudget();
        budget.requestStarted();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();
        budget.retryEnded();
        for (int i = 0; i < 9; i++) {
            budget.requestStarted();
        }
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isTrue();
        assertThat(budget.tryStartRetry()).isFalse();
        assertThat(budget.retrying()).isEqualTo(2);
    }
}
