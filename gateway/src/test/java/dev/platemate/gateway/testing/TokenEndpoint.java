package dev.platemate.gateway.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OAuth 2.0 client-credentials endpoint and the API it guards, on one loopback server (the JDK's): {@code POST
 * /connect/token} checks the client's HTTP Basic credentials and {@code grant_type}, and issues {@code tok-N} for
 * {@link #lifetimeSeconds}; {@code GET /api/...} answers 200 with the path only for a token it issued, that has not
 * expired and was not {@link #revoke revoked}, else 401 (and counts what was dead). {@link #answer} replaces the
 * token answer (status and body) to play a broken endpoint; {@link #delayMillis} slows it down.
 */
public final class TokenEndpoint implements AutoCloseable {

    public static final String CLIENT_ID = "client-one";
    public static final String SECRET = "s3cr3t-never-to-be-seen";

    private final HttpServer server;
    private final Map<String, Long> expiries = new ConcurrentHashMap<>();
    public final AtomicInteger fetches = new AtomicInteger();
    public final AtomicInteger apiCalls = new AtomicInteger();
    /** Requests to the API with a token that was expired, revoked or never issued. */
    public final AtomicInteger deadTokensSeen = new AtomicInteger();
    public final AtomicInteger badCredentials = new AtomicInteger();
    public volatile long lifetimeSeconds = 3600;
    public volatile long delayMillis;
    /** When set: the token endpoint answers this status and body instead of a token. */
    public volatile String[] answer;
    public volatile String lastToken;

    public TokenEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "token-endpoint");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/connect/token", this::token);
        server.createContext("/api/", this::api);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The API refuses {@code token} from now on, as a provider that rotated it would. */
    public void revoke(String token) {
        expiries.put(token, 0L);
    }

    private void token(HttpExchange exchange) throws IOException {
        fetches.incrementAndGet();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.US_ASCII);
        sleep(delayMillis);
        String expected = "Basic " + Base64.getEncoder().encodeToString((CLIENT_ID + ":" + SECRET)
                .getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))
                || !URLDecoder.decode(body, StandardCharsets.UTF_8).contains("grant_type=client_credentials")
                || !"POST".equals(exchange.getRequestMethod())) {
            badCredentials.incrementAndGet();
            send(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        String[] broken = answer;
        if (broken != null) {
            send(exchange, Integer.parseInt(broken[0]), broken[1]);
            return;
        }
        String token = "tok-" + fetches.get();
        long lifetime = lifetimeSeconds;
        expiries.put(token, System.nanoTime() + lifetime * 1_000_000_000L);
        lastToken = token;
        send(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + lifetime
                + ",\"scope\":\"basic\"}");
    }

    private void api(HttpExchange exchange) throws IOException {
        apiCalls.incrementAndGet();
        exchange.getRequestBody().readAllBytes();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String token = authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
        Long expiry = expiries.get(token);
        if (expiry == null || System.nanoTime() >= expiry) {
            deadTokensSeen.incrementAndGet();
            send(exchange, 401, "{\"error\":\"invalid_token\"}");
            return;
        }
        send(exchange, 200, "{\"path\":\"" + exchange.getRequestURI().getPath() + "\",\"token\":\"" + token + "\"}");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);   // the endpoint's own thread: a slow identity provider
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
