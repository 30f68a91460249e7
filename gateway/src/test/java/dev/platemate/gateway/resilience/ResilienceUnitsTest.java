package dev.platemate.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.CallerRateLimitConfig;
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
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess(); // consecutive: a success starts the count again
        breaker.onFailure();
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.onFailure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.tryPass()).isFalse();
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);

        advance(Duration.ofSeconds(30));
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.tryPass()).isTrue();
        assertThat(breaker.tryPass()).isFalse(); // one trial at a time
        breaker.onSuccess();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryPass()).isTrue();
    }

    @Test
    void answersToRequestsLetThroughBeforeItOpenedDoNotChangeAnOpenBreaker() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(2, Duration.ofSeconds(30)), ticker);
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess(); // a slow request admitted while it was still closed
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.tryPass()).isFalse();
        breaker.onFailure();
        assertThat(breaker.timesOpened()).isEqualTo(1);
        assertThat(breaker.retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void aFailedTrialOpensAgainAndAnAbandonedOneFreesTheTrial() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerConfig(1, Duration.ofSeconds(10)), ticker);
        breaker.onFailure();
        advance(Duration.ofSeconds(10));
        assertThat(breaker.tryPass()).isTrue();
        breaker.onAbandoned();
        assertThat(breaker.tryPass()).isTrue();
        breaker.onFailure();
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
                new CallerRateLimitConfig(Optional.of("X-Client-Id"), 2, Duration.ofMinutes(1))),
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

        // no header: the address counts; behind a trusted proxy, the first X-Forwarded-For address
        InetAddress proxy = InetAddress.getByName("10.1.1.1");
        DefaultHttpHeaders viaProxyA = new DefaultHttpHeaders();
        viaProxyA.set("x-forwarded-for", "198.51.100.7, 10.1.1.1");
        DefaultHttpHeaders viaProxyB = new DefaultHttpHeaders();
        viaProxyB.set("x-forwarded-for", "198.51.100.8");
        assertThat(limits.check(viaProxyA, proxy).join().allowed()).isTrue();
        assertThat(limits.check(viaProxyA, proxy).join().allowed()).isTrue();
        assertThat(limits.check(viaProxyA, proxy).join().allowed()).isFalse();
        assertThat(limits.check(viaProxyB, proxy).join().allowed()).isTrue();
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
