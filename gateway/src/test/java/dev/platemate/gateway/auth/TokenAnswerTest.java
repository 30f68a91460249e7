package dev.platemate.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Token endpoint answers read as numbers from the wire: what is refused, and why, without naming the token. */
class TokenAnswerTest {

    private static TokenClient.Answer answer(int status, String body) {
        return new TokenClient.Answer(status, body.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "503| {\"access_token\":\"t\",\"expires_in\":60}                | answered 503",
        "200| ''                                                       | is empty",
        "200| not json                                                 | not a JSON object",
        "200| [1, 2]                                                   | not a JSON object",
        "200| {\"token_type\":\"Bearer\",\"expires_in\":60}            | no usable access_token",
        "200| {\"access_token\":42,\"expires_in\":60}                  | no usable access_token",
        "200| {\"access_token\":\"bad token\",\"expires_in\":60}       | no usable access_token",
        "200| {\"access_token\":\"\",\"expires_in\":60}                | no usable access_token",
        "200| {\"access_token\":\"t\",\"token_type\":\"mac\"}          | not Bearer",
        "200| {\"access_token\":\"t\",\"expires_in\":0}                | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":-5}               | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":9}                | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":1000000000000}    | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":99999999999999999999999} | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":60.5}             | out of range",
        "200| {\"access_token\":\"t\",\"expires_in\":\"soon\"}         | out of range",
    })
    void brokenAnswersAreRefusedWithAReasonThatNamesNoToken(int status, String body, String reason) {
        assertThatThrownBy(() -> TokenAnswer.read(answer(status, body)))
                .isInstanceOf(TokenAnswer.Refused.class).hasMessageContaining(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("bad token"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"86400", "\"86400\""})
    void aLifetimeAsANumberOrAStringOfDigitsIsRead(String expiresIn) {
        Token token = TokenAnswer.read(answer(200, "{\"access_token\":\"abc.DEF-123_~+/=\",\"token_type\":\"bearer\","
                + "\"expires_in\":" + expiresIn + "}"));
        assertThat(token.value()).isEqualTo("abc.DEF-123_~+/=");
        assertThat(token.remainingNanos()).isBetween(TimeUnit.SECONDS.toNanos(86390), TimeUnit.SECONDS.toNanos(86400));
        assertThat(token.toString()).doesNotContain("abc");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"access_token\":\"t\"}"})
    void noLifetimeCountsAsAnHour(String body) {
        assertThat(TokenAnswer.read(answer(200, body)).lifetimeNanos()).isEqualTo(TimeUnit.HOURS.toNanos(1));
    }
}
