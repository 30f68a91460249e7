package dev.platemate.gateway.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WireNumbersTest {

    @Test
    void deltaSecondsAreDigitsOnlyAndClamped() {
        assertThat(WireNumbers.deltaSeconds("99999999999")).isEqualTo(WireNumbers.MAX_DELTA_SECONDS);
        assertThat(WireNumbers.deltaSeconds(" 60 ")).isEqualTo(60);
        assertThat(WireNumbers.deltaSeconds("0")).isZero();
        for (String invalid : new String[] {"", " ", "-1", "+5", "1.5", "6 0", "0x10", "abc"}) {
            assertThat(WireNumbers.deltaSeconds(invalid)).as("'%s'", invalid).isEqualTo(-1);
        }
        assertThat(WireNumbers.deltaSeconds(null)).isEqualTo(-1);
        assertThat(WireNumbers.saturatedAdd(Long.MAX_VALUE - 1, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(WireNumbers.saturatedAdd(Long.MIN_VALUE + 1, -5)).isEqualTo(Long.MIN_VALUE);
        assertThat(WireNumbers.saturatedAdd(3, 4)).isEqualTo(7);
    }
}
