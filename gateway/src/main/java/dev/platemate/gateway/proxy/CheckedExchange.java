package dev.platemate.gateway.proxy;

import dev.platemate.gateway.server.ClientSide;
import dev.platemate.gateway.server.Exchange;
import dev.platemate.gateway.server.HoldingExchange;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A request waiting for a check made elsewhere (its caller's rate limit, in Redis). Meanwhile reading from the
 * client pauses and what body arrived is held; then the request goes on to the exchange the check's answer opens,
 * which gets the held body. A client that leaves or a request aborted meanwhile releases what is held, and the
 * answer is dropped. Event-loop only.
 */
final class CheckedExchange<T> extends HoldingExchange {

    private CheckedExchange(ClientSide client) {
        super(client);
    }

    /** Opens {@code then.apply(answer)} once {@code check} completes (a failed check gives null). */
    static <T> Exchange after(CompletableFuture<T> check, ClientSide client, Function<T, Exchange> then) {
        CheckedExchange<T> waiting = new CheckedExchange<>(client);
        client.suspendReading(true);
        check.whenComplete((answer, error) -> client.eventLoop().execute(
                client.guard(() -> waiting.checked(answer, then))));
        return waiting;
    }

    private void checked(T answer, Function<T, Exchange> then) {
        if (over()) {
            return;
        }
        client.suspendReading(false);
        handOver(then.apply(answer), takeHeld());
    }
}
