package dev.platemate.gateway.config;

/**
 * A route's {@code ai:} (true, or a mapping of these options): its bodies are OpenAI-compatible, and their usage
 * is counted.
 *
 * @param injectStreamUsage add {@code stream_options.include_usage} to a streamed request that does not say, and
 *                          take the extra usage-only chunk out of what the client receives
 */
public record AiRouteConfig(boolean injectStreamUsage) {

    public static final AiRouteConfig DEFAULTS = new AiRouteConfig(true);
}
