package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of {@code upstreams:}.
 *
 * @param basePath        joined in front of every routed path; empty for none, otherwise starts with '/' and has
 *                        no trailing '/'
 * @param headers         set on every request to this upstream; values may hold secrets and are never logged
 * @param egressProxy     the HTTP CONNECT or SOCKS5 proxy to reach the upstream through, if any
 * @param rateLimit       the token bucket protecting the provider, if any
 * @param retries         extra attempts for requests that may be retried
 * @param auth            where the upstream's OAuth 2.0 token comes from, if the gateway manages one
 */
public record UpstreamConfig(
        String name,
        String scheme,
        String host,
        int port,
        String basePath,
        Duration connectTimeout,
        Duration responseTimeout,
        Duration idleTimeout,
        Map<String, String> headers,
        TlsConfig tls,
        Optional<EgressProxy> egressProxy,
        PoolConfig pool,
        Optional<RateLimitConfig> rateLimit,
        Optional<TokenLimitConfig> tokenLimit,
        CircuitBreakerConfig circuitBreaker,
        int retries,
        Optional<OAuthConfig> auth) {

    public UpstreamConfig {
        headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
    }

    /**
     * The configured headers that carry something. A value with nothing in it, such as
     * {@code Bearer ${OPENAI_API_KEY:-}} while the variable is unset, is left out, so the client's own header (its
     * own key) goes through instead of a useless one.
     */
    public Map<String, String> headersToSend() {
        Map<String, String> send = new java.util.LinkedHashMap<>();
        headers.forEach((name, value) -> {
            String v = value.trim();
            if (!v.isEmpty() && !v.matches("(?i)bearer|basic|token")) {
                send.put(name, value);
            }
        });
        return send;
    }

    /** The same upstream at another place (no base path, no managed token): where a stand-in serves it. */
    public UpstreamConfig pointedAt(String newScheme, String newHost, int newPort) {
        return new UpstreamConfig(name, newScheme, newHost, newPort, "", connectTimeout, responseTimeout, idleTimeout,
                headers, tls, Optional.empty(), pool, rateLimit, tokenLimit, circuitBreaker, retries, Optional.empty());
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    /** The Host header value: the port is left out when it is the scheme's default. */
    public String authority() {
        boolean defaultPort = secure() ? port == 443 : port == 80;
        return defaultPort ? host : host + ":" + port;
    }

    @Override
    public String toString() {
        return "UpstreamConfig[" + name + " " + scheme + "://" + authority() + basePath + ", headers="
                + headers.keySet() + auth.map(a -> ", auth=" + a).orElse("") + "]";
    }

    /** {@code tls:}. {@code caFile} empty means the JDK's trust anchors only. */
    public record TlsConfig(boolean verify, String caFile) {
    }

    /** {@code egress_proxy:} parsed. */
    public record EgressProxy(Kind kind, String host, int port) {
        public enum Kind { HTTP, SOCKS5 }
    }

    /**
     * {@code pool:}.
     *
     * @param maxConnections           all event loops together
     * @param maxPending               acquisitions allowed to wait; beyond: 503 pool_exhausted
     * @param maxRequestsPerConnection 0 means unlimited
     */
    public record PoolConfig(int maxConnections, int maxPending, Duration idleTimeout, int maxRequestsPerConnection) {
    }

    /** {@code rate_limit:}: {@code requests} per {@code per}, waiting up to {@code maxWait} for a token. */
    public record RateLimitConfig(long requests, Duration per, Duration maxWait) {
    }

    /** {@code token_limit:}: at most {@code tokens} of AI usage per {@code per} (see the README's AI section). */
    public record TokenLimitConfig(long tokens, Duration per) {
    }

    /** {@code circuit_breaker:}. */
    public record CircuitBreakerConfig(int failureThreshold, Duration openFor) {
    }
}
