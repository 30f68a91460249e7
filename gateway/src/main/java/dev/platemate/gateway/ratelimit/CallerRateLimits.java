package dev.platemate.gateway.ratelimit;

import dev.platemate.gateway.config.CallerRateLimitConfig;
import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.limiter.Ticker;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The top-level {@code rate_limits}: each entry gives every caller its own bucket, the caller named by a header
 * or by its address. The address is the peer's, or, when the peer is a trusted proxy, the first address of
 * X-Forwarded-For. A request with no such header is counted by its address. Thread-safe.
 */
public final class CallerRateLimits {

    private final List<Entry> entries = new ArrayList<>();
    private final List<Cidr> trustedProxies;
    private final LongAdder refusals = new LongAdder();

    private record Entry(CallerRateLimitConfig config, CallerBuckets buckets) {
    }

    public CallerRateLimits(List<CallerRateLimitConfig> configs, List<Cidr> trustedProxies, Ticker ticker) {
        this.trustedProxies = List.copyOf(trustedProxies);
        for (CallerRateLimitConfig config : configs) {
            entries.add(new Entry(config, new CallerBuckets(config.requests(), config.per(), ticker)));
        }
    }

    /** How many requests were answered 429 because their caller went over a limit. */
    public long refusals() {
        return refusals.sum();
    }

    public boolean enabled() {
        return !entries.isEmpty();
    }

    /** Takes a token from every limit this caller falls under; the first refusal wins, else the tightest answer. */
    public RateLimitDecision check(HttpHeaders headers, InetAddress peer) {
        RateLimitDecision tightest = null;
        for (Entry entry : entries) {
            String caller = entry.config().header().map(headers::get).filter(v -> !v.isBlank())
                    .map(v -> "h:" + v).orElseGet(() -> "ip:" + clientAddress(headers, peer));
            RateLimitDecision decision = entry.buckets().tryTake(caller);
            if (!decision.allowed()) {
                refusals.increment();
                return decision;
            }
            if (tightest == null || decision.remaining() < tightest.remaining()) {
                tightest = decision;
            }
        }
        return tightest;
    }

    private String clientAddress(HttpHeaders headers, InetAddress peer) {
        String forwarded = headers.get("x-forwarded-for");
        if (forwarded != null && trustedProxies.stream().anyMatch(cidr -> cidr.contains(peer))) {
            int comma = forwarded.indexOf(',');
            return (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
        }
        return peer.getHostAddress();
    }
}
