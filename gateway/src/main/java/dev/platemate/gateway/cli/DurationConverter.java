package dev.platemate.gateway.cli;

import dev.platemate.gateway.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Reads option values such as {@code 300ms} or {@code 5s}, as in gateway.yml. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return Durations.parse(value).orElseThrow(() -> new CommandLine.TypeConversionException(
                "'" + value + "' is not a duration (expected: 250ms, 30s, 5m, 1h)"));
    }
}
