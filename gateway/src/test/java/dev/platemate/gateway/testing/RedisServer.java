package dev.platemate.gateway.testing;

import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package, which {@code .ci/run} installs) on a free loopback port, with
 * nothing saved to disk. It can be killed and started again on the same port, as when Redis fails in production.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private Process process;

    private RedisServer(int port) {
        this.port = port;
    }

    public static RedisServer start() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisServer server = new RedisServer(port);
        server.startAgain();
        return server;
    }

    /** Starts the server (again), and waits until it answers PING. */
    public void startAgain() throws IOException {
        process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> command("PING").equals("+PONG"));
    }

    /** Kills the server at once, as a crash would (a paused one too). */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the server without closing its connections (SIGSTOP), as a hung Redis; {@link #resume()} undoes it. */
    public void pause() throws Exception {
        signal("-STOP");
    }

    public void resume() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill " + signal + " failed");
        }
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Sends one inline command; a simple answer is returned as it is ({@code +PONG}, {@code :3}). */
    public String command(String line) throws IOException {
        return String.join(" ", reply(line));
    }

    /** Sends one inline command and returns its answer, an array flattened into its elements. */
    public List<String> reply(String line) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> values = new ArrayList<>();
            read(new DataInputStream(socket.getInputStream()), values);
            return values;
        }
    }

    private static void read(DataInputStream in, List<String> values) throws IOException {
        String head = readLine(in);
        switch (head.charAt(0)) {
            case '*' -> {
                for (int i = Integer.parseInt(head.substring(1)); i > 0; i--) {
                    read(in, values);
                }
            }
            case '$' -> {
                int length = Integer.parseInt(head.substring(1));
                if (length >= 0) {
                    byte[] bytes = in.readNBytes(length + 2);
                    values.add(new String(bytes, 0, length, StandardCharsets.UTF_8));
                }
            }
            default -> values.add(head);
        }
    }

    private static String readLine(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c == -1) {
                throw new IOException("Redis closed the connection");
            }
            line.append((char) c);
        }
        in.read();
        return line.toString();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
