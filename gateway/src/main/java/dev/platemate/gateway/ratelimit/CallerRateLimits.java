package dev.platemate.gateway.ratelimit;

import dev.platemate.gateway.config.CallerRateLimitConfig;
import dev.platemate.gateway.config.Cidr;
import dev.platemate.gateway.limiter.Ticker;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    /** @param buckets its request buckets, or null; @param tokens its token buckets, or null */
    private record Entry(CallerRateLimitConfig config, CallerBuckets buckets, CallerBuckets tokens) {
    }

    /** @param shared the buckets replicas share, or null to keep them in this replica */
    public CallerRateLimits(List<CallerRateLimitConfig> configs, List<Cidr> trustedProxies, Ticker ticker,
                            SharedBuckets shared) {
        this.trustedProxies = List.copyOf(trustedProxies);
        for (int i = 0; i < configs.size(); i++) {
            CallerRateLimitConfig config = configs.get(i);
            entries.add(new Entry(config, config.requests() == 0 ? null
                    : new CallerBuckets(config.requests(), config.per(), ticker, shared, "caller:" + i),
                    config.tokens() == 0 ? null
                    : new CallerBuckets(config.tokens(), config.per(), ticker, shared, "caller-tokens:" + i)));
        }
    }

    /** How many requests were answered 429 because their caller went over a limit. */
    public long refusals() {
        return refusals.sum();
    }

    public boolean enabled() {
        return !entries.isEmpty();
    }

    /**
     * Takes a token from every limit this caller falls under, one after another; the first refusal wins, else the
     * tightest answer. Completes at once when the buckets are this replica's; never fails.
     */
    public CompletableFuture<RateLimitDecision> check(HttpHeaders headers, InetAddress peer) {
        CompletableFuture<RateLimitDecision> result = CompletableFuture.completedFuture(null);
        for (Entry entry : entries) {
            if (entry.buckets() == null) {
                continue;
            }
            String caller = caller(entry, headers, peer);
            result = result.thenCompose(tightest -> tightest != null && !tightest.allowed()
                    ? CompletableFuture.completedFuture(tightest)
                    : entry.buckets().take(caller).thenApply(decision -> tighter(tightest, decision)));
        }
        return result.thenApply(decision -> {
            if (decision != null && !decision.allowed()) {
                refusals.increment();
            }
            return decision;
        });
    }

    /** The token buckets of AI usage this caller falls under (one per entry with {@code tokens}). */
    public List<TokenBucket> tokenBuckets(HttpHeaders headers, InetAddress peer) {
        List<TokenBucket> buckets = new ArrayList<>(1);
        for (Entry entry : entries) {
            if (entry.tokens() != null) {
                buckets.add(entry.tokens().bucket(caller(entry, headers, peer)));
            }
        }
        return buckets;
    }

    /**
     * How the first entry names this caller, for a report: its address, or the header and a hash of its value (a
     * header may carry a key); "-" without rate limits.
     */
    public String callerName(HttpHeaders headers, InetAddress peer) {
        if (entries.isEmpty()) {
            return "-";
        }
        Entry first = entries.get(0);
        String value = first.config().header().map(headers::get).filter(v -> !v.isBlank()).orElse(null);
        return value == null ? clientAddress(headers, peer)
                : first.config().header().get() + "#" + CallerBuckets.sha256(value).substring(0, 12);
    }

    private String caller(Entry entry, HttpHeaders headers, InetAddress peer) {
        return entry.config().header().map(headers::get).filter(v -> !v.isBlank())
                .map(v -> "h:" + v).orElseGet(() -> "ip:" + clientAddress(headers, peer));
    }

    private static RateLimitDecision tighter(RateLimitDecision so, RateLimitDecision decision) {
        return so == null || !decision.allowed() || decision.remaining() < so.remaining() ? decision : so;
    }

    /**
     * The caller's address: the peer's, or behind trusted proxies the right-most X-Forwarded-For address that is
     * not one of them. Every address left of that one was written by the client itself, so it names nobody.
     */
    private String clientAddress(HttpHeaders headers, InetAddress peer) {
        if (!trusted(peer)) {
            return peer.getHostAddress();
        }
        List<String> forwarded = headers.getAll("x-forwarded-for");
        String client = peer.getHostAddress();
        for (int h = forwarded.size() - 1; h >= 0; h--) {
            String[] hops = forwarded.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                String hop = hops[i].trim();
                if (hop.isEmpty()) {
                    continue;
                }
                InetAddress address = NetUtil.createInetAddressFromIpAddressString(hop);
                if (address == null || !trusted(address)) {
                    return hop; // the first hop no trusted proxy vouches for
                }
                client = hop;
            }
        }
        return client;
    }

    private boolean trusted(InetAddress address) {
        for (Cidr cidr : trustedProxies) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
