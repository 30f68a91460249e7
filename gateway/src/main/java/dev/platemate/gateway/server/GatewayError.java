package dev.platemate.gateway.server;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every error the gateway answers itself, with its status and the {@code type} of the JSON body. The one place
 * where a failure becomes a status code.
 */
public enum GatewayError {
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "bad_request"),
    NO_ROUTE(HttpResponseStatus.NOT_FOUND, "no_route"),
    METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed"),
    REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout"),
    PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
    EXPECTATION_FAILED(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed"),
    NOT_IMPLEMENTED(HttpResponseStatus.NOT_IMPLEMENTED, "not_implemented"),
    VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported"),
    UNAUTHORIZED(HttpResponseStatus.UNAUTHORIZED, "unauthorized"),
    INTERNAL_ERROR(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error"),
    RATE_LIMITED(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited"),
    TOKEN_LIMIT(HttpResponseStatus.TOO_MANY_REQUESTS, "token_limit"),
    UPSTREAM_UNAVAILABLE(HttpResponseStatus.BAD_GATEWAY, "upstream_unavailable"),
    UPSTREAM_AUTH(HttpResponseStatus.BAD_GATEWAY, "upstream_auth"),
    QUEUE_FULL(HttpResponseStatus.SERVICE_UNAVAILABLE, "queue_full"),
    QUEUE_TIMEOUT(HttpResponseStatus.SERVICE_UNAVAILABLE, "queue_timeout"),
    POOL_EXHAUSTED(HttpResponseStatus.SERVICE_UNAVAILABLE, "pool_exhausted"),
    CIRCUIT_OPEN(HttpResponseStatus.SERVICE_UNAVAILABLE, "circuit_open"),
    SHUTTING_DOWN(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting_down"),
    UPSTREAM_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_timeout"),
    UPGRADE_REQUIRED(HttpResponseStatus.UPGRADE_REQUIRED, "upgrade_required");

    private final HttpResponseStatus status;
    private final String type;

    GatewayError(HttpResponseStatus status, String type) {
        this.status = status;
        this.type = type;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    /** 429 and 503 always carry Retry-After. */
    public boolean needsRetryAfter() {
        return status.code() == 429 || status.code() == 503;
    }
}
