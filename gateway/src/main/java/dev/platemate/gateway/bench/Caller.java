package dev.platemate.gateway.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * How the benchmark calls the two endpoints: a food search and a chat completion. "Before" makes a new client,
 * hence a new connection and TLS handshake, per call (as the backend's {@code httpx.AsyncClient()} per call did);
 * "after" shares one client through the gateway.
 */
final class Caller {

    private static final String CHAT = "{\"model\":\"stub\",\"messages\":[{\"role\":\"user\",\"content\":\"plan a meal\"}]}";

    private final String foodUrl;
    private final String chatUrl;
    private final Supplier<HttpClient> clients;

    private Caller(String foodUrl, String chatUrl, Supplier<HttpClient> clients) {
        this.foodUrl = foodUrl;
        this.chatUrl = chatUrl;
        this.clients = clients;
    }

    static Caller newClientPerCall(String base, Supplier<HttpClient.Builder> builder) {
        return new Caller(base + "/food/search?q=", base + "/v1/chat/completions", () -> builder.get().build());
    }

    static Caller shared(String foodBase, String chatBase, HttpClient client) {
        return new Caller(foodBase + "/food/search?q=", chatBase + "/v1/chat/completions", () -> client);
    }

    /** Whether a food search for {@code query} answered 200. */
    boolean food(String query) {
        return call(HttpRequest.newBuilder(URI.create(foodUrl + query)).timeout(Duration.ofSeconds(30)).build());
    }

    /** Whether a chat completion answered 200. */
    boolean chat() {
        return call(HttpRequest.newBuilder(URI.create(chatUrl)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build());
    }

    private boolean call(HttpRequest request) {
        try {
            return clients.get().send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
