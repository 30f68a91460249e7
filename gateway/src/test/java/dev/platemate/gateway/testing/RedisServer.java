package dev.platemate.gateway.testing;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Redis on a free port, with nothing saved to disk: a {@code redis:7-alpine} container where a Docker engine
 * answers ({@link DockerEngine}), else the local {@code redis-server} (the Debian package, which {@code .ci/run}
 * installs) on loopback. It can be killed and started again on the same port, as when Redis fails in production,
 * and paused as a hung one.
 */
public final class RedisServer implements AutoCloseable {

    /** Where it runs. */
    private interface Backend {
        void start() throws IOException;

        void kill() throws InterruptedException;

        void pause() throws Exception;

        void resume() throws Exception;

        String host();

        int port();
    }

    private final Backend backend;

    private RedisServer(Backend backend) {
        this.backend = backend;
    }

    public static RedisServer start() throws IOException {
        RedisServer server = new RedisServer(DockerEngine.present() ? new InContainer() : new LocalProcess());
        server.startAgain();
        return server;
    }

    /** Starts the server (again), and waits until it answers PING. */
    public void startAgain() throws IOException {
        backend.start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> command("PING").equals("+PONG"));
    }

    /** Kills the server at once, as a crash would (a paused one too). */
    public void kill() throws InterruptedException {
        backend.kill();
    }

    /** Stops the server without closing its connections, as a hung Redis; {@link #resume()} undoes it. */
    public void pause() throws Exception {
        backend.pause();
    }

    public void resume() throws Exception {
        backend.resume();
    }

    public String url() {
        return "redis://" + backend.host() + ":" + backend.port();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local {@code redis-server}, on a loopback port of its own. */
    private static final class LocalProcess implements Backend {
        private final int port;
        private Process process;

        LocalProcess() {
            port = freePort();
        }

        @Override
        public void start() throws IOException {
            process = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--protected-mode", "no")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        }

        @Override
        public void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void pause() throws Exception {
            signal("-STOP");
        }

        @Override
        public void resume() throws Exception {
            signal("-CONT");
        }

        private void signal(String signal) throws Exception {
            Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill " + signal + " failed");
            }
        }

        @Override
        public String host() {
            return "127.0.0.1";
        }

        @Override
        public int port() {
            return port;
        }
    }

    /**
     * A container on a host port chosen here and bound fixed (a random binding would change when the container is
     * started again after a kill).
     */
    private static final class InContainer implements Backend {
        private final int hostPort = freePort();
        private final GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("redis:7-alpine"))
                .withCommand("redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .withExposedPorts(6379)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(6379))));

        @Override
        public void start() {
            if (container.getContainerId() == null) {
                container.start();
            } else {
                container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
            }
        }

        @Override
        public void kill() {
            if (container.getContainerId() != null) {
                try {
                    container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
                } catch (RuntimeException alreadyDead) {
                    // killed before: nothing runs
                }
            }
        }

        @Override
        public void pause() {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public void resume() {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }

        @Override
        public String host() {
            return container.getHost();
        }

        @Override
        public int port() {
            return hostPort;
        }
    }

    /** Sends one inline command; a simple answer is returned as it is ({@code +PONG}, {@code :3}). */
    public String command(String line) throws IOException {
        return String.join(" ", reply(line));
    }

    /** Sends one inline command and returns its answer, an array flattened into its elements. */
    public List<String> reply(String line) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(backend.host(), backend.port()), 1000);
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
        try {
            kill();
        } finally {
            if (backend instanceof InContainer inContainer) {
                inContainer.container.stop();
            }
        }
    }
}
