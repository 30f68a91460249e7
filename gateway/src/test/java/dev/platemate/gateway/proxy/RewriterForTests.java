package dev.platemate.gateway.proxy;

import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.UpstreamConfig;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The header rewriting of both request paths and both response paths, for tests in other packages. */
public final class RewriterForTests {

    private final HeaderRewriter rewriter;

    public RewriterForTests() throws Exception {
        this("{url: http://127.0.0.1:9}", List.of());
    }

    /** For the upstream {@code upstreamYaml} (a flow mapping), behind {@code trustedProxies}. */
    public RewriterForTests(String upstreamYaml, List<String> trustedProxies) throws Exception {
        UpstreamConfig upstream = new ConfigLoader(Map.of()).parse("""
                upstreams:
                  test: %s
                routes:
                  - {path: /api/, upstream: test}
                """.formatted(upstreamYaml), Path.of(".")).upstreams().get("test");
        this.rewriter = new HeaderRewriter(upstream, trustedProxies.stream().map(cidr -> Cidr.parse(cidr).orElseThrow())
                .toList());
    }

    /** What a proxied request goes through before its encoder: the head made from its lines when it can be. */
    public void prepareRequest(HttpRequest request, String target, InetAddress peer) {
        rewriter.prepareRequest(request, target, peer);
    }

    /** The rewrite of Netty's headers, always. */
    public void rewriteRequestHeaders(HttpRequest request, String target, InetAddress peer) {
        rewriter.rewriteRequestHeaders(request, target, peer);
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
