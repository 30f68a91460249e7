package dev.platemate.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that answers every request with the same raw bytes, then closes (optionally with a reset): for
 * malformed responses, garbage and resets that a well-behaved server never sends.
 */
public final class RawUpstream implements AutoCloseable {

    private final ServerSocket server;
    private final byte[] answer;
    private final boolean reset;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "raw-upstream");
        t.setDaemon(true);
        return t;
    });
    public final AtomicInteger requests = new AtomicInteger();
    /** The request heads received, as they came (Latin-1). */
    public final BlockingQueue<String> heads = new LinkedBlockingQueue<>();

    public RawUpstream(String answer, boolean reset) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.answer = answer.getBytes(StandardCharsets.ISO_8859_1);
        this.reset = reset;
        threads.execute(this::acceptLoop);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.append((char) b);
            }
            heads.add(head.toString());
            requests.incrementAndGet();
            OutputStream out = socket.getOutputStream();
            out.write(answer);
            out.flush();
            if (reset) {
                socket.setSoLinger(true, 0);
            }
        } catch (IOException e) {
            // the gateway hung up first
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
