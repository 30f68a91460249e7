package dev.platemate.gateway.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.limiter.Limiter;
import dev.platemate.gateway.pool.UpstreamPool;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Lifecycle;
import dev.platemate.gateway.server.LocalEndpoints;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code /health/live}, {@code /health/ready} and {@code /health/performance}. {@code /metrics} and
 * {@code /admin/*} are reserved here (never proxied) and arrive with the operations issue. Any event loop.
 */
public final class AdminEndpoints implements LocalEndpoints {

    private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DRAINING = "{\"status\":\"draining\"}".getBytes(StandardCharsets.UTF_8);

    private final ObjectMapper json = new ObjectMapper();
    private final Lifecycle lifecycle;
    private final PerformanceReport report;

    public AdminEndpoints(Map<String, UpstreamPool> pools, Map<String, Limiter> limiters, Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
        this.report = new PerformanceReport(pools, limiters);
    }

    @Override
    public boolean owns(String path) {
        return path.startsWith("/health/") || path.equals("/health") || path.equals("/metrics")
                || path.startsWith("/admin/") || path.equals("/admin");
    }

    @Override
    public FullHttpResponse handle(HttpRequest request, String path) {
        ReferenceCountUtil.release(request);
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            return Responses.error(GatewayError.METHOD_NOT_ALLOWED, request.method() + " is not allowed on " + path);
        }
        return switch (path) {
            case "/health/live" -> Responses.json(HttpResponseStatus.OK, OK);
            case "/health/ready" -> lifecycle.ready() ? Responses.json(HttpResponseStatus.OK, OK)
                    : withRetryAfter(Responses.json(HttpResponseStatus.SERVICE_UNAVAILABLE, DRAINING));
            case "/health/performance" -> performance();
            default -> Responses.error(GatewayError.NO_ROUTE, "no endpoint " + path);
        };
    }

    private FullHttpResponse performance() {
        try {
            return Responses.json(HttpResponseStatus.OK, json.writeValueAsBytes(report.build(lifecycle.ready())));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the performance report cannot be written as JSON", e);
        }
    }

    private static FullHttpResponse withRetryAfter(FullHttpResponse response) {
        response.headers().set("retry-after", 1);
        return response;
    }
}
