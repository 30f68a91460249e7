package dev.platemate.gateway.websocket;

/** The two ends of a session, as the gateway sees them. */
enum Side {
    CLIENT("client_to_upstream"),
    UPSTREAM("upstream_to_client");

    private final String direction;

    Side(String direction) {
        this.direction = direction;
    }

    Side other() {
        return this == CLIENT ? UPSTREAM : CLIENT;
    }

    /** The direction of what this side sends, as metrics and the report name it. */
    String direction() {
        return direction;
    }

    /** As the access log names who closed. */
    String label() {
        return this == CLIENT ? "client" : "upstream";
    }
}
