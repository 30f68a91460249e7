package dev.platemate.gateway.server;

/**
 * Passed down the inbound pipeline in place of a request (or a body part) that must not be served, so the answer
 * keeps its place among pipelined responses. The connection closes after it.
 */
public record RejectedRequest(GatewayError error, String message) {
}
