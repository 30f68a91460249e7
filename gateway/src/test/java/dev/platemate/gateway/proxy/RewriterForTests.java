package dev.platemate.gateway.proxy;

import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.UpstreamConfig;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The header rewriting of both response paths, for tests in other packages; as for an HTTP/1.1 client. */
public final class RewriterForTests {

    private final HeaderRewriter rewriter;

    public RewriterForTests() throws Exception {
        UpstreamConfig upstream = new ConfigLoader(Map.of()).parse("""
                upstreams:
                  test: {url: http://127.0.0.1:9}
                routes:
                  - {path: /api/, upstream: test}
                """, Path.of(".")).upstreams().get("test");
        this.rewriter = new HeaderRewriter(upstream, List.of());
    }

    /** The decoder path: what {@link ResponseRelay} makes of a decoded head, with no queue and 0 ms upstream. */
    public void prepareDecoded(HttpResponse response) {
        rewriter.prepareResponse(response, false, true, HttpVersion.HTTP_1_1, -1, 0);
    }

    /** The plain path: the same for a plain head's kept lines. */
    public static void finishPlain(ByteBuf lines) {
        HeaderRewriter.finishPlainHead(lines, HeaderRewriter.serverTiming(-1, 0), true);
    }
}
