package dev.platemate.gateway.server;

/**
 * What an AI request used, as its provider reported it or, where it did not, as estimated: for the access log and
 * the AI metrics. Counts are clamped at 0.
 *
 * @param model      the model, as the request or the answer named it ({@code "-"} when neither did)
 * @param cached     prompt tokens the provider served from its own prompt cache (part of {@code prompt})
 * @param estimated  whether any count is an estimate (no usage in the answer, or a stream cut short)
 */
public record TokenUsage(String model, long prompt, long completion, long cached, boolean estimated) {

    /** Not an AI request, or nothing known of it. */
    public static final TokenUsage NONE = new TokenUsage("-", 0, 0, 0, false);

    public TokenUsage {
        prompt = Math.max(0, prompt);
        completion = Math.max(0, completion);
        cached = Math.max(0, Math.min(cached, prompt));
    }
}
