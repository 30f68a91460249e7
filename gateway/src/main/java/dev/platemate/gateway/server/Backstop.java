package dev.platemate.gateway.server;

import java.time.Duration;

/**
 * The backstop behind every deadline: once a request has arrived whole, its exchange must make progress (write to
 * the client, or read its response from upstream) within these bounds, or the connection ends it as failed. Set
 * from the config so that it never fires for an exchange working within its own deadlines; it exists for the
 * failures that no deadline saw.
 *
 * @param answerWithinNanos how long the first progress may take: the longest a route may legitimately wait
 *                          (rate limit, queue, connection, response, retries, a cache fill), with a margin
 * @param stallNanos        how long an exchange that has begun may then go without progress while its client
 *                          takes more: the longest upstream idle_timeout, with a margin
 */
public record Backstop(long answerWithinNanos, long stallNanos) {

    /** Added to every bound, so the backstop always comes after the deadline it stands behind. */
    public static final Duration MARGIN = Duration.ofSeconds(5);
}
