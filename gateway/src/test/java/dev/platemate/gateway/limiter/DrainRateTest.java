package dev.platemate.gateway.limiter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Retry-After for a refused client: from the rate over the time observed, jittered, at most the queue timeout. */
class DrainRateTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void aBurstAfterAQuietSpellIsToldWhenTheQueueReallyDrains() {
        // the case: a limiter of 5, 300 ms per request, 21 ahead; it drains in under 2 s, not 42
        DrainRate rate = new DrainRate(() -> 0.5); // no jitter
        long t = 100 * SECOND;
        for (int batch = 1; batch <= 2; batch++) {
            for (int i = 0; i < 5; i++) {
                rate.record(t + batch * 300 * MS);
            }
        }
        assertThat(rate.secondsFor(21, t + 600 * MS, 30)).isBetween(1L, 3L);
    }

    @Test
    void neverMoreThanTheQueueTimeoutNorLessThanASecond() {
        DrainRate rate = new DrainRate(() -> 0.999);
        rate.record(0);
        assertThat(rate.secondsFor(1000, 5 * SECOND, 30)).isEqualTo(30);
        assertThat(rate.secondsFor(1000, 5 * SECOND, 1)).isEqualTo(1);
        for (int i = 0; i < 1000; i++) {
            rate.record(5 * SECOND);
        }
        assertThat(rate.secondsFor(1, 5 * SECOND, 30)).isEqualTo(1);
    }

    @Test
    void withoutReleasesTheQueueTimeoutSpreadDownward() {
        assertThat(new DrainRate(() -> 0.0).secondsFor(10, 50 * SECOND, 30)).isEqualTo(24);
        assertThat(new DrainRate(() -> 0.999).secondsFor(10, 50 * SECOND, 30)).isEqualTo(30);
    }

    @Test
    void clientsRefusedTogetherAreToldDifferentTimes() {
        AtomicInteger calls = new AtomicInteger();
        DrainRate rate = new DrainRate(() -> (calls.getAndIncrement() % 10) / 10.0);
        for (int i = 0; i < 10; i++) {
            rate.record(i * SECOND);
        }
        Set<Long> answers = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            answers.add(rate.secondsFor(20, 10 * SECOND, 60)); // about 20 s, spread by a fifth either way
        }
        assertThat(answers).hasSizeGreaterThan(3).allSatisfy(s -> assertThat(s).isBetween(16L, 24L));
    }
}
