package dev.platemate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.platemate.gateway.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new Main()).execute(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void checkPrintsTheRoutesOfAValidConfig() {
        Result result = run("check", "-c", "../gateway.yml");
        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("is valid")
                .containsPattern("/openai/\\s+openai\\s+https://api.openai.com\\s+yes\\s+ai")
                .containsPattern("/fatsecret/\\s+fatsecret\\s+https://platform.fatsecret.com\\s+yes\\s+-");
    }

    @Test
    void checkExitsTwoWithEveryError(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yml"), """
                upstreams:
                  openai: {url: "https://api.openai.com"}
                routes:
                  - {path: /openai/, upstream: opneai}
                  - {path: /x/, upstream: openai, extra: 1}
                """);
        Result result = run("check", "-c", bad.toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("routes[0].upstream: 'opneai' (expected: one of openai)")
                .contains("routes[1].extra: unknown key");
    }

    @Test
    void missingFileIsAnError() {
        Result result = run("check", "-c", "/nonexistent/gateway.yml");
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("cannot be read");
    }

    @Test
    void versionAndHelp() {
        assertThat(run("--version").out()).startsWith("gateway ");
        Result help = run("--help");
        assertThat(help.out()).contains("run").contains("check");
        assertThat(run("run", "--help").out()).contains("--config");
    }

    @Test
    void environmentOverridesPathAndPort(@TempDir Path dir) throws Exception {
        Path file = Files.copy(Path.of("../gateway.yml"), dir.resolve("g.yml"));
        ConfigOption option = new ConfigOption();
        Map<String, String> env = Map.of("GATEWAY_CONFIG", file.toString(), "GATEWAY_PORT", "9191");
        assertThat(option.resolve(env)).isEqualTo(file);
        assertThat(option.load(env).server().port()).isEqualTo(9191);
        assertThatThrownBy(() -> option.load(Map.of("GATEWAY_CONFIG", file.toString(), "GATEWAY_PORT", "x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("GATEWAY_PORT: 'x'");
        assertThat(option.resolve(Map.of())).isEqualTo(Path.of("gateway.yml"));
    }
}
