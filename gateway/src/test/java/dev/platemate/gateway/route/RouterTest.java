package dev.platemate.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {

    private final Router router = new Router(config());

    private static GatewayConfig config() {
        try {
            return new ConfigLoader(Map.of()).parse("""
                    upstreams:
                      openai: {url: "https://api.openai.com"}
                      proxied: {url: "http://internal:8080/base/"}
                    routes:
                      - {path: /openai/, upstream: openai}
                      - {path: /openai/v2/, upstream: proxied}
                      - {path: /keep/, upstream: proxied, strip_prefix: false}
                    """, Path.of("."));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void longestPrefixWins() {
        assertThat(router.match("/openai/v1/chat").upstream()).isEqualTo("openai");
        assertThat(router.match("/openai/v2/chat").upstream()).isEqualTo("proxied");
        assertThat(router.match("/openai/v2").upstream()).isEqualTo("proxied");
        assertThat(router.match("/openaiX/v1")).isNull();
        assertThat(router.match("/other")).isNull();
    }

    @Test
    void targetsJoinBasePathStripPrefixAndKeepQuery() {
        assertThat(router.match("/openai/v1/chat").upstreamTarget("/openai/v1/chat", "a=1&b=2"))
                .isEqualTo("/v1/chat?a=1&b=2");
        assertThat(router.match("/openai").upstreamTarget("/openai", null)).isEqualTo("/");
        assertThat(router.match("/openai/v2/x").upstreamTarget("/openai/v2/x", null)).isEqualTo("/base/x");
        assertThat(router.match("/keep/x").upstreamTarget("/keep/x", "q")).isEqualTo("/base/keep/x?q");
    }

    @Test
    void requestTargetsAreNormalisedOrRefused() {
        assertThat(RequestTarget.parse("/a//b/?x=1", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/a/b/", "x=1")));
        assertThat(RequestTarget.parse("/a/../b", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a/%2E%2e/b", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a/./b", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a%2f..%2fb", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a\\b", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("*", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("http://other/a", "h")).isEqualTo(new RequestTarget.ForeignHost("other"));
        assertThat(RequestTarget.parse("http://H/a?q", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/a", "q")));
        assertThat(RequestTarget.parse("/a..b/c.d", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/a..b/c.d", null)));
        // plain paths go through as they are; anything else takes the careful way
        assertThat(RequestTarget.parse("/food/search", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/food/search", null)));
        assertThat(RequestTarget.parse("/.well-known/x", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/.well-known/x", null)));
        assertThat(RequestTarget.parse("/a/..", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a/.", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a/b\u0001", "h")).isInstanceOf(RequestTarget.Invalid.class);
        assertThat(RequestTarget.parse("/a/b%41", "h")).isEqualTo(
                new RequestTarget.Valid(new RequestTarget("/a/b%41", null)));
    }
}
