package dev.platemate.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An OpenAI stand-in on raw sockets: {@code POST /v1/chat/completions} answers JSON with usage, or, for
 * {@code "stream": true}, server-sent chunks (each flushed as its own HTTP chunk) with the usage-only final
 * chunk exactly when the request asked for it ({@code stream_options.include_usage}), as OpenAI does. The
 * completion is {@code words} words (query, default 4); the usage: 11 prompt tokens (4 of them cached) and one
 * completion token per word. Query {@code cut=N} cuts the connection after N chunks, {@code nousage} leaves usage
 * out of a JSON answer, {@code text} answers plain text, {@code length} sends a stream with a Content-Length,
 * {@code huge} reports an absurd usage, {@code remaining=N} adds OpenAI's {@code x-ratelimit-remaining-tokens: N} to a JSON answer. It
 * keeps every request body it got. {@link #failing} makes it fail every request in one way until it is reset. One
 * request per connection.
 */
public final class OpenAiUpstream implements AutoCloseable {

    /** Numbers read exactly, so a test can see that what the gateway forwarded kept every digit. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openai-upstream");
        t.setDaemon(true);
        return t;
    });
    public final LinkedBlockingQueue<JsonNode> bodies = new LinkedBlockingQueue<>();
    /**
     * How every request fails, until set back to null: a status such as {@code "503"} or {@code "429"} (an OpenAI
     * error with a Content-Length), the same with {@code "-chunked"} (its body chunked), or {@code "stall"} (no answer
     * at all, the connection held open).
     */
    public volatile String failing;

    public OpenAiUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    threads.execute(() -> serve(socket));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            JsonNode body = JSON.readTree(in.readNBytes(length));
            bodies.add(body);
            String failure = failing;
            if (failure != null) {
                fail(socket, failure);
                return;
            }
            String query = target.contains("?") ? target.substring(target.indexOf('?') + 1) : "";
            answer(socket.getOutputStream(), body, query);
        } catch (IOException ignored) {
            // the gateway went away: nothing to answer
        }
    }

    private static void answer(OutputStream out, JsonNode request, String query) throws IOException {
        String model = request.path("model").asText("gpt-test");
        int words = Integer.parseInt(param(query, "words", "4"));
        if (query.contains("text")) {
            send(out, "200 OK", "text/plain", "not json at all");
            return;
        }
        String usage = query.contains("huge") ? "{\"prompt_tokens\":999999999999999999,\"completion_tokens\":1}"
                : "{\"prompt_tokens\":11,\"completion_tokens\":" + words + ",\"total_tokens\":" + (11 + words)
                + ",\"prompt_tokens_details\":{\"cached_tokens\":4}}";
        if (!request.path("stream").asBoolean(false)) {
            String remaining = param(query, "remaining", null);
            send(out, "200 OK", "application/json" + (remaining == null ? ""
                    : "\r\nx-ratelimit-remaining-tokens: " + remaining), "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\""
                    + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                    + "word ".repeat(words).trim() + "\"},\"finish_reason\":\"stop\"}]"
                    + (query.contains("nousage") ? "" : ",\"usage\":" + usage) + "}");
            return;
        }
        boolean withUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < words; i++) {
            events.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"").append(model)
                    .append("\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},\"finish_reason\":null}]")
                    .append(withUsage ? ",\"usage\":null" : "").append("}\n\n").append('\u0000');
        }
        if (withUsage) {
            events.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"").append(model)
                    .append("\",\"choices\":[],\"usage\":").append(usage).append("}\n\n").append('\u0000');
        }
        events.append("data: [DONE]\n\n");
        String all = events.toString();
        if (query.contains("length")) {
            send(out, "200 OK", "text/event-stream", all.replace("\u0000", ""));
            return;
        }
        out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
                + "connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        int cut = Integer.parseInt(param(query, "cut", "-1"));
        String[] chunks = all.split("\u0000");
        for (int i = 0; i < chunks.length; i++) {
            if (i == cut) {
                return;   // the socket closes mid-stream
            }
            byte[] chunk = chunks[i].getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void fail(Socket socket, String failure) throws IOException {
        if (failure.equals("stall")) {
            while (socket.getInputStream().read() >= 0) {
                // held open, unanswered, until the gateway gives up
            }
            return;
        }
        String status = failure.substring(0, 3);
        byte[] body = ("{\"error\":{\"message\":\"failing on purpose\",\"type\":\"server_error\",\"code\":"
                + status + "}}").getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        String head = "HTTP/1.1 " + status + " Failing\r\ncontent-type: application/json\r\nretry-after: 0\r\n"
                + "connection: close\r\n";
        if (failure.endsWith("-chunked")) {
            out.write((head + "transfer-encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            out.write((head + "content-length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
        }
        out.flush();
    }

    private static void send(OutputStream out, String status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + "\r\ncontent-type: " + type + "\r\ncontent-length: " + bytes.length
                + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    private static String param(String query, String name, String fallback) {
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        return fallback;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the head ended");
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
