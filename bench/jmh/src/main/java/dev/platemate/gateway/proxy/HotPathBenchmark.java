package dev.platemate.gateway.proxy;

import dev.platemate.gateway.cache.CacheKey;
import dev.platemate.gateway.config.ConfigLoader;
import dev.platemate.gateway.config.GatewayConfig;
import dev.platemate.gateway.route.RequestTarget;
import dev.platemate.gateway.route.Route;
import dev.platemate.gateway.route.Router;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request pieces of the gateway's own code on the proxied path, each on its own: parsing and routing a
 * target, rewriting a request head and a response head, and building a cache key with a caller's Authorization.
 * What Netty's codecs and the sockets cost is measured by bench/compare-nginx, not here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmark {

    private static final String CONFIG = """
            upstreams:
              openai: {url: "https://api.openai.com", headers: {Authorization: "Bearer sk-bench"}}
              fatsecret: {url: "https://platform.fatsecret.com/rest/server.api"}
            routes:
              - {path: /openai/, upstream: openai}
              - {path: /fatsecret/, upstream: fatsecret}
              - {path: /fatsecret/foods/, upstream: fatsecret}
            """;

    private Router router;
    private HeaderRewriter rewriter;
    private InetAddress peer;
    private HttpHeaders requestHeaders;
    private HttpHeaders responseHeaders;

    @Setup
    public void setUp() throws Exception {
        GatewayConfig config = new ConfigLoader(Map.of()).parse(CONFIG, Path.of("."));
        router = new Router(config);
        rewriter = new HeaderRewriter(config.upstreams().get("openai"), List.of());
        peer = InetAddress.getByName("127.0.0.1");
        requestHeaders = new DefaultHttpHeaders()
                .add("host", "127.0.0.1:8080").add("user-agent", "python-httpx/0.27.0").add("accept", "*/*")
                .add("accept-encoding", "gzip, deflate").add("connection", "keep-alive")
                .add("content-type", "application/json").add("content-length", "120");
        responseHeaders = new DefaultHttpHeaders()
                .add("date", "Sun, 29 Nov 2026 18:00:00 GMT").add("content-type", "application/json")
                .add("content-length", "1024").add("connection", "keep-alive").add("openai-processing-ms", "312")
                .add("x-request-id", "req_0123456789abcdef");
    }

    @Benchmark
    public Route parseAndRoute() {
        RequestTarget.Parsed parsed = RequestTarget.parse("/fatsecret/foods/search?q=apple&max_results=10",
                "127.0.0.1:8080");
        return router.match(((RequestTarget.Valid) parsed).target().path());
    }

    @Benchmark
    public HttpRequest rewriteRequestHead() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/openai/v1/chat/completions", requestHeaders.copy());
        rewriter.prepareRequest(request, "/v1/chat/completions", peer);
        return request;
    }

    @Benchmark
    public HttpResponse rewriteResponseHead() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                responseHeaders.copy());
        rewriter.prepareResponse(response, false, true, HttpVersion.HTTP_1_1, -1, 3);
        return response;
    }

    @Benchmark
    public CacheKey cacheKeyWithAuthorization() {
        return CacheKey.of("/fatsecret/", "GET", "fatsecret", "/rest/server.api/foods/search?q=apple",
                "Bearer 0123456789abcdef0123456789abcdef", null);
    }
}
