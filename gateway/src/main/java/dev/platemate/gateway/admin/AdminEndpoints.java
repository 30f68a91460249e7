package dev.platemate.gateway.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.cache.ResponseCache;
import dev.platemate.gateway.config.AdminConfig;
import dev.platemate.gateway.metrics.AiCallers;
import dev.platemate.gateway.metrics.RecentLatency;
import dev.platemate.gateway.proxy.Proxy;
import dev.platemate.gateway.redis.RedisStats;
import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Lifecycle;
import dev.platemate.gateway.server.LocalEndpoints;
import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.Responses;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The gateway's own endpoints: {@code /health/live}, {@code /health/ready}, {@code /health/performance}, and
 * {@code GET /metrics} (Prometheus text), {@code DELETE /admin/cache[?prefix=/route/]} and
 * {@code POST /admin/reload}. {@code /metrics} and
 * {@code /admin/*} are never proxied and require the admin token when one is set. Any event loop.
 */
public final class AdminEndpoints implements LocalEndpoints {

    private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DRAINING = "{\"status\":\"draining\"}".getBytes(StandardCharsets.UTF_8);

    private static final ObjectMapper JSON = new ObjectMapper();
    private final AdminConfig admin;
    private final Lifecycle lifecycle;
    private final ResponseCache cache;
    private final PerformanceReport report;
    private final Supplier<String> metrics;
    private final Reloads reloads;
    private final SeriesRecorder series = new SeriesRecorder();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "dashboard-sampler");
        thread.setDaemon(true);
        return thread;
    });
    private final byte[] dashboard;

    /** What the endpoints report on; {@code redis} gives null when no redis.url is set. */
    public record Sources(Supplier<Proxy.Parts> parts, RecentLatency latency, IntSupplier clientConnections,
                         Lifecycle lifecycle, Supplier<RedisStats> redis, AiCallers aiCallers) {
    }

    /** @param metrics the Prometheus text of {@code GET /metrics} */
    public AdminEndpoints(AdminConfig admin, Sources sources, Supplier<String> metrics, Reloads reloads) {
        this.admin = admin;
        this.metrics = metrics;
        this.lifecycle = sources.lifecycle();
        this.reloads = reloads;
        this.cache = sources.parts().get().cache();
        this.report = new PerformanceReport(sources);
        this.dashboard = resource("/dashboard/index.html");
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminEndpoints.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What finished, for the dashboard's history: add it to the listeners. */
    public RequestListener seriesListener() {
        return series;
    }

    /**
     * Samples the dashboard's history every second on a thread of its own (never an event loop: the report takes
     * the limiters' and the cache's locks), which also writes {@code /admin/series}, until the returned future is
     * cancelled.
     */
    public ScheduledFuture<?> startSampling() {
        return sampler.scheduleAtFixedRate(() -> {
            try {
                series.sample(System.currentTimeMillis(), report.build(lifecycle.ready(), false));
            } catch (Throwable e) {   // the next second tries again; an Error would end the schedule silently
                LoggerFactory.getLogger(AdminEndpoints.class).warn("a dashboard sample failed: {}", e.toString());
            }
        }, 0, 1, TimeUnit.SECONDS);
    }

    /** Stops the sampler thread. */
    public void stopSampling() {
        sampler.shutdownNow();
    }

    @Override
    public boolean owns(String path) {
        return path.startsWith("/health/") || path.equals("/health") || path.equals("/metrics")
                || path.startsWith("/admin/") || path.equals("/admin") || path.equals("/dashboard");
    }

    @Override
    public CompletableFuture<FullHttpResponse> handle(HttpRequest request, String path) {
        if (path.equals("/admin/reload") && HttpMethod.POST.equals(request.method()) && authorized(request)) {
            ReferenceCountUtil.release(request);
            return reloads.reload().thenApply(AdminEndpoints::reloaded);
        }
        if (path.equals("/admin/series") && HttpMethod.GET.equals(request.method()) && authorized(request)) {
            ReferenceCountUtil.release(request);   // up to 1.4 MB of JSON: written off the event loop
            return CompletableFuture.supplyAsync(() -> json(series.snapshot()), sampler);
        }
        if (path.equals("/admin/cache") && HttpMethod.DELETE.equals(request.method()) && authorized(request)) {
            ReferenceCountUtil.release(request);
            Optional<String> prefix = new QueryStringDecoder(request.uri()).parameters()
                    .getOrDefault("prefix", java.util.List.of()).stream().findFirst();
            return cache.purgeEverywhere(prefix).thenApply(purged -> json(Map.of("purged", purged)));
        }
        return CompletableFuture.completedFuture(answer(request, path));
    }

    private FullHttpResponse answer(HttpRequest request, String path) {
        ReferenceCountUtil.release(request);
        HttpMethod method = request.method();
        boolean read = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
        if (path.startsWith("/health")) {
            if (!read) {
                return Responses.error(GatewayError.METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
            }
            return switch (path) {
                case "/health/live" -> Responses.json(HttpResponseStatus.OK, OK);
                case "/health/ready" -> lifecycle.ready() ? Responses.json(HttpResponseStatus.OK, OK)
                        : withRetryAfter(Responses.json(HttpResponseStatus.SERVICE_UNAVAILABLE, DRAINING));
                case "/health/performance" -> json(report.build(lifecycle.ready()));
                default -> Responses.error(GatewayError.NO_ROUTE, "no endpoint " + path);
            };
        }
        if (path.equals("/dashboard")) {   // the page holds no data: what it shows it asks for with the token
            if (!read) {
                return Responses.error(GatewayError.METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
            }
            FullHttpResponse page = Responses.of(HttpResponseStatus.OK, dashboard, "text/html; charset=utf-8");
            page.headers().set("content-security-policy", "default-src 'self'; script-src 'unsafe-inline'; "
                    + "style-src 'unsafe-inline'; frame-ancestors 'none'").set("x-frame-options", "DENY");
            return page;
        }
        if (!authorized(request)) {
            return Responses.error(GatewayError.UNAUTHORIZED, "this endpoint needs Authorization: Bearer <admin token>");
        }
        if (path.equals("/admin/series")) {
            return read ? json(series.snapshot())
                    : Responses.error(GatewayError.METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
        }
        if (path.equals("/metrics")) {
            if (!read) {
                return Responses.error(GatewayError.METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
            }
            return Responses.of(HttpResponseStatus.OK, metrics.get().getBytes(StandardCharsets.UTF_8),
                    "text/plain; version=0.0.4; charset=utf-8");
        }
        if (path.equals("/admin/reload")) {
            return Responses.error(GatewayError.METHOD_NOT_ALLOWED, "use POST /admin/reload");
        }
        if (path.equals("/admin/cache")) {
            return Responses.error(GatewayError.METHOD_NOT_ALLOWED, "use DELETE /admin/cache[?prefix=/route/]");
        }
        return Responses.error(GatewayError.NO_ROUTE, "no endpoint " + path);
    }

    private static FullHttpResponse reloaded(ReloadResult result) {
        if (!result.applied()) {
            // the error shape of every gateway error, with the list of what is wrong added
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("message", "the new config is invalid; the old one keeps running: "
                    + String.join("; ", result.errors()));
            error.put("type", GatewayError.BAD_REQUEST.type());
            error.put("code", 400);
            error.put("errors", result.errors());
            return json(HttpResponseStatus.BAD_REQUEST, Map.of("error", error));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "reloaded");
        body.put("changed", result.changed());
        body.put("restart_required", result.restartRequired());
        return json(HttpResponseStatus.OK, body);
    }

    private boolean authorized(HttpRequest request) {
        if (!admin.tokenRequired()) {
            return true;
        }
        String given = request.headers().get(HttpHeaderNames.AUTHORIZATION, "");
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + admin.token()).getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse json(Object document) {
        return json(HttpResponseStatus.OK, document);
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object document) {
        try {
            return Responses.json(status, JSON.writeValueAsBytes(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report cannot be written as JSON", e);
        }
    }

    private static FullHttpResponse withRetryAfter(FullHttpResponse response) {
        response.headers().set("retry-after", 1);
        return response;
    }
}
