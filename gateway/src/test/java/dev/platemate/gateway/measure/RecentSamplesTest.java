package dev.platemate.gateway.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RecentSamplesTest {

    @Test
    void quantilesAreOverTheLastValuesOnlyByNearestRankAndAnyPIsSafe() {
        RecentSamples samples = new RecentSamples(4);
        assertThat(samples.quantile(0.5)).isZero();
        for (long value : new long[] {1000, 1000, 1, 2, 3, 4}) {   // the two 1000s fall out of the window
            samples.add(value);
        }
        assertThat(samples.quantile(0.5)).isEqualTo(2);
        assertThat(samples.quantile(0.99)).isEqualTo(4);
        assertThat(samples.quantile(0)).isEqualTo(1);
        assertThat(samples.quantile(-3)).isEqualTo(1);
        assertThat(samples.quantile(7)).isEqualTo(4);
        assertThatThrownBy(() -> new RecentSamples(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
