package dev.platemate.gateway.config;

import java.time.Duration;

/**
 * A route's WebSocket settings ({@code websocket: true} and its limits).
 *
 * @param maxMessageSize the largest message, all its frames together, either way; a larger one ends the session
 *                       with close 1009 to its sender
 * @param idleTimeout    no frame either way for this long: close 1001 to both sides
 * @param maxSession     the longest a session may last: then close 1001 to both sides
 */
public record WebSocketConfig(DataSize maxMessageSize, Duration idleTimeout, Duration maxSession) {

    public static final DataSize DEFAULT_MAX_MESSAGE_SIZE = DataSize.ofMebibytes(1);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_SESSION = Duration.ofHours(1);
}
