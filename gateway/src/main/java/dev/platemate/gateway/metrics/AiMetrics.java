package dev.platemate.gateway.metrics;

import dev.platemate.gateway.config.AiConfig;
import dev.platemate.gateway.server.RequestListener;
import dev.platemate.gateway.server.RequestSummary;
import dev.platemate.gateway.server.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The AI routes' books, from each finished request's {@link TokenUsage}: {@code gateway.ai.tokens} by upstream,
 * model and kind (prompt, completion, cached), {@code gateway.ai.requests} by upstream, model and status,
 * {@code gateway.ai.usage.estimated} (requests whose counts are estimates), and {@code gateway.ai.cost.usd} by
 * upstream and model from {@code ai.prices}. A model name is a label only when it looks like one and either is
 * priced or came with tokens the provider reported (a client's made-up name on a 404 claims nothing); each upstream
 * has at most {@link #MODELS_PER_UPSTREAM}, the rest count as {@code other}; a status outside 100-599 is
 * {@code other}. So no upstream or client can grow the labels without bound. Any thread.
 */
final class AiMetrics implements RequestListener {

    static final int MODELS_PER_UPSTREAM = 64;
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._:/@-]{1,80}");

    private final MeterRegistry registry;
    private final Supplier<AiConfig> config;
    private final ConcurrentHashMap<String, Set<String>> models = new ConcurrentHashMap<>();

    /** @param config the current config's {@code ai:} (read at every request, so a reload's prices apply) */
    AiMetrics(MeterRegistry registry, Supplier<AiConfig> config) {
        this.registry = registry;
        this.config = config;
    }

    @Override
    public void requestEnded(RequestSummary summary) {
        TokenUsage usage = summary.usage();
        if (usage == TokenUsage.NONE) {
            return;
        }
        String upstream = summary.upstream();
        String model = model(upstream, usage);
        int status = summary.status();
        counter("gateway.ai.requests", "AI requests finished", upstream, model, "status",
                status >= 100 && status <= 599 ? Integer.toString(status) : "other").increment();
        tokens(upstream, model, usage);
    }

    /** The tokens and cost of one response of a Realtime session on {@code upstream} (not a request of its own). */
    void tokensUsed(String upstream, TokenUsage usage) {
        tokens(upstream, model(upstream, usage), usage);
    }

    private String model(String upstream, TokenUsage usage) {
        boolean mayClaim = config.get().price(usage.model()).isPresent()
                || !usage.estimated() && usage.prompt() + usage.completion() > 0;
        return label(upstream, usage.model(), mayClaim);
    }

    private void tokens(String upstream, String model, TokenUsage usage) {
        Optional<AiConfig.ModelPrice> price = config.get().price(usage.model());
        add("prompt", usage.prompt(), upstream, model);
        add("completion", usage.completion(), upstream, model);
        add("cached", usage.cached(), upstream, model);
        if (usage.estimated()) {
            counter("gateway.ai.usage.estimated", "AI requests whose token counts are estimated", upstream, model,
                    null, null).increment();
        }
        price.ifPresent(per -> {
            double usd = ((usage.prompt() - usage.cached()) * per.prompt() + usage.cached() * per.cached()
                    + usage.completion() * per.completion()) / 1_000_000.0;
            if (usd > 0) {
                counter("gateway.ai.cost.usd", "What the AI requests cost, from ai.prices", upstream, model, null,
                        null).increment(usd);
            }
        });
    }

    private void add(String kind, long tokens, String upstream, String model) {
        if (tokens > 0) {
            counter("gateway.ai.tokens", "Tokens of AI requests, by kind", upstream, model, "kind", kind)
                    .increment(tokens);
        }
    }

    private Counter counter(String name, String description, String upstream, String model, String tag,
                            String value) {
        Counter.Builder builder = Counter.builder(name).description(description).tag("upstream", upstream)
                .tag("model", model);
        if (tag != null) {
            builder.tag(tag, value);
        }
        return builder.register(registry);
    }

    /**
     * The model as a label: itself when it looks like a model and is known, or may claim a place
     * ({@code mayClaim}) while the upstream's labels have room; else other.
     */
    private String label(String upstream, String model, boolean mayClaim) {
        if (!MODEL.matcher(model).matches()) {
            return "other";
        }
        Set<String> known = models.computeIfAbsent(upstream, name -> ConcurrentHashMap.newKeySet());
        if (known.contains(model)) {
            return model;
        }
        if (!mayClaim) {
            return "other";
        }
        synchronized (known) {
            if (known.size() < MODELS_PER_UPSTREAM) {
                known.add(model);
                return model;
            }
        }
        return "other";
    }
}
