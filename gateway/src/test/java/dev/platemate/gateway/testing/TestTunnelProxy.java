package dev.platemate.gateway.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An egress proxy for tests: HTTP CONNECT or SOCKS5 (no authentication), one thread per direction. Records the
 * destination of every tunnel it opens.
 */
public final class TestTunnelProxy implements AutoCloseable {

    public enum Kind { HTTP, SOCKS5 }

    private final Kind kind;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-tunnel-proxy");
        t.setDaemon(true);
        return t;
    });
    public final LinkedBlockingQueue<String> tunnels = new LinkedBlockingQueue<>();

    public TestTunnelProxy(Kind kind) throws IOException {
        this.kind = kind;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    public String url() {
        return (kind == Kind.HTTP ? "http" : "socks5") + "://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String destination = kind == Kind.HTTP ? httpConnect(in) : socks5(new DataInputStream(in), out);
            int colon = destination.lastIndexOf(':');
            try (Socket upstream = new Socket(destination.substring(0, colon),
                    Integer.parseInt(destination.substring(colon + 1)))) {
                tunnels.add(destination);
                if (kind == Kind.HTTP) {
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else {
                    out.write(new byte[] {5, 0, 0, 1, 0, 0, 0, 0, 0, 0});
                }
                out.flush();
                threads.execute(() -> pump(upstream, client));
                pump(client, upstream);
            }
        } catch (IOException e) {
            // the tunnel ends when either side closes
        }
    }

    private static String httpConnect(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.append((char) b);
        }
        String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
        if (!requestLine[0].equals("CONNECT")) {
            throw new IOException("not CONNECT");
        }
        return requestLine[1];
    }

    private static String socks5(DataInputStream in, OutputStream out) throws IOException {
        in.readByte(); // version
        int methods = in.readUnsignedByte();
        in.readNBytes(methods);
        out.write(new byte[] {5, 0});
        out.flush();
        in.readNBytes(3); // version, command (connect), reserved
        int type = in.readUnsignedByte();
        String host;
        if (type == 1) {
            byte[] a = in.readNBytes(4);
            host = (a[0] & 255) + "." + (a[1] & 255) + "." + (a[2] & 255) + "." + (a[3] & 255);
        } else if (type == 3) {
            host = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.US_ASCII);
        } else {
            throw new IOException("unsupported address type " + type);
        }
        return host + ":" + in.readUnsignedShort();
    }

    private static void pump(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException e) {
            // closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
