package dev.platemate.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.platemate.gateway.testing.RawClient;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestTunnelProxy;
import dev.platemate.gateway.testing.TestUpstream;
import dev.platemate.gateway.testing.WebSocketClient;
import dev.platemate.gateway.testing.WebSocketUpstream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * WebSocket pass-through on a {@code websocket: true} route, over real sockets: the handshake upstream (key
 * injection, Host, subprotocols, no extensions), messages both ways over ws:// and wss://, fragments, ping/pong,
 * close codes both ways, refused and failed handshakes.
 */
class WebSocketProxyTest extends WebSocketFixture {

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void messagesPassBothWaysWithTheUpstreamsKeyAndTheClientsSubprotocol(boolean tls) throws Exception {
        start(tls, "", "");
        HttpHeaders headers = new DefaultHttpHeaders().set("sec-websocket-extensions", "permessage-deflate");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo?model=x"), headers, "realtime", true)) {
            assertThat(client.subprotocol()).isEqualTo("realtime");
            HttpHeaders seen = upstream.handshakes.poll();
            assertThat(seen.get("authorization")).isEqualTo("Bearer sk-ws-secret");
            assertThat(seen.get("host")).isEqualTo(URI.create(upstream.url()).getAuthority());
            assertThat(seen.get("sec-websocket-protocol")).isEqualTo("realtime");
            assertThat(seen.contains("sec-websocket-extensions")).as("no extension is offered upstream").isFalse();
            assertThat(seen.get("via")).contains("platemate-gateway");
            assertThat(client.handshake.join().get("sec-websocket-extensions")).isNull();

            client.sendText("hello");
            WebSocketClient.Received text = client.next();
            assertThat(text.kind()).isEqualTo("text");
            assertThat(text.text()).isEqualTo("hello");

            ByteBuf mebibyte = WebSocketClient.pattern(1024 * 1024);
            byte[] sent = ByteBufUtil.getBytes(mebibyte);
            client.send(new BinaryWebSocketFrame(mebibyte));
            WebSocketClient.Received binary = client.next();
            assertThat(binary.kind()).isEqualTo("binary");
            assertThat(binary.payload()).isEqualTo(sent);
        }
    }

    @Test
    void aWssSessionGoesThroughTheUpstreamsEgressProxy() throws Exception {
        try (TestTunnelProxy proxy = new TestTunnelProxy(TestTunnelProxy.Kind.HTTP)) {
            upstream = WebSocketUpstream.tls();
            gateway = TestGateway.start(config(upstream.url(), "").replace("    headers:\n",
                    "    egress_proxy: " + proxy.url() + "\n    headers:\n"));
            try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
                client.sendText("through the tunnel");
                assertThat(client.next().text()).isEqualTo("through the tunnel");
            }
            assertThat(proxy.tunnels).containsExactly(URI.create(upstream.url()).getAuthority());
        }
    }

    @Test
    void fragmentsPingsAndPongsPassAsTheyCame() throws Exception {
        start(false, "", "");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            client.send(new TextWebSocketFrame(false, 0, Unpooled.copiedBuffer("hel", StandardCharsets.UTF_8)));
            client.send(new PingWebSocketFrame(Unpooled.copiedBuffer("between", StandardCharsets.UTF_8)));
            client.send(new ContinuationWebSocketFrame(true, 0, Unpooled.copiedBuffer("lo",
                    StandardCharsets.UTF_8)));
            WebSocketClient.Received first = client.next();
            assertThat(first.kind()).isEqualTo("text");
            assertThat(first.fin()).isFalse();
            assertThat(first.text()).isEqualTo("hel");
            WebSocketClient.Received pong = client.next();
            assertThat(pong.kind()).isEqualTo("pong");
            assertThat(pong.text()).isEqualTo("between");
            WebSocketClient.Received rest = client.next();
            assertThat(rest.kind()).isEqualTo("continuation");
            assertThat(rest.fin()).isTrue();
            assertThat(rest.text()).isEqualTo("lo");
        }
    }

    @Test
    void theClientsCloseCodeReachesTheUpstreamAndItsAnswerComesBack() throws Exception {
        start(false, "", "");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            client.close(4001, "client says bye");
            assertThat(upstream.closes.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(4001);
            WebSocketClient.Received answer = client.next();
            assertThat(answer.kind()).isEqualTo("close");
            assertThat(answer.closeCode()).isEqualTo(4001);
            assertThat(answer.closeReason()).isEqualTo("client says bye");
            client.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);   // the gateway closes the connection
        }
    }

    @Test
    void theUpstreamsCloseCodeReachesTheClient() throws Exception {
        start(false, "", "");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/close?code=4002"))) {
            WebSocketClient.Received close = client.next();
            assertThat(close.closeCode()).isEqualTo(4002);
            assertThat(close.closeReason()).isEqualTo("bye from upstream");
            client.close(4002, "");
            assertThat(upstream.closes.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(4002);
            client.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void randomMessagesFragmentsAndPingsComeBackByteForByte() throws Exception {
        start(false, "", "");
        java.util.Random random = new java.util.Random(20261201);
        java.util.ArrayDeque<byte[]> expected = new java.util.ArrayDeque<>();
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"))) {
            for (int m = 0; m < 150; m++) {
                boolean text = random.nextBoolean();
                int parts = 1 + random.nextInt(4);
                for (int p = 0; p < parts; p++) {
                    int size = random.nextInt(10) == 0 ? random.nextInt(300_000) : random.nextInt(200);
                    byte[] payload = new byte[size];
                    if (text) {
                        java.util.Arrays.fill(payload, (byte) ('a' + random.nextInt(26)));
                    } else {
                        random.nextBytes(payload);
                    }
                    expected.add(payload);
                    boolean fin = p == parts - 1;
                    ByteBuf content = Unpooled.wrappedBuffer(payload);
                    client.send(p == 0 ? (text ? new TextWebSocketFrame(fin, 0, content)
                            : new BinaryWebSocketFrame(fin, 0, content)) : new ContinuationWebSocketFrame(fin, 0, content));
                    if (random.nextInt(5) == 0) {   // a ping between parts: what was echoed before it comes first
                        client.send(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) m})));
                        for (WebSocketClient.Received got = client.next(); !got.kind().equals("pong");
                             got = client.next()) {
                            assertThat(got.payload()).as("message %d", m).isEqualTo(expected.poll());
                        }
                    }
                }
                while (!expected.isEmpty()) {
                    assertThat(client.next().payload()).as("message %d", m).isEqualTo(expected.poll());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"unmasked", "reserved bit", "lone continuation", "long ping", "close code 1005"})
    void aFrameTheProtocolForbidsGets1002AndTheUpstream1001(String kind) throws Exception {
        start(false, "", "");
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = switch (kind) {
            case "unmasked" -> new byte[] {(byte) 0x81, 0x01, 'x'};
            case "reserved bit" -> new byte[] {(byte) 0xC1, (byte) 0x81, 1, 2, 3, 4, 'x' ^ 1};
            case "lone continuation" -> new byte[] {(byte) 0x80, (byte) 0x81, 1, 2, 3, 4, 'x' ^ 1};
            case "long ping" -> {
                byte[] ping = new byte[2 + 2 + 4 + 126];
                ping[0] = (byte) 0x89;
                ping[1] = (byte) (0x80 | 126);
                ping[3] = 126;
                System.arraycopy(mask, 0, ping, 4, 4);
                yield ping;
            }
            default -> new byte[] {(byte) 0x88, (byte) 0x82, 1, 2, 3, 4, 0x03 ^ 1, (byte) (0xED ^ 2)};
        };
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/echo", ""));
            assertThat(raw.readHead()).startsWith("HTTP/1.1 101 ");
            raw.send(frame);
            byte[] close = raw.readBytes(4).getBytes(StandardCharsets.ISO_8859_1);
            assertThat(close[0] & 0xff).as("a close frame, unmasked").isEqualTo(0x88);
            assertThat((close[2] & 0xff) << 8 | close[3] & 0xff).isEqualTo(1002);
            assertThat(upstream.closes.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1001);
        }
    }

    /** A client's frame: masked, as RFC 6455 says. */
    static byte[] masked(int opcode, byte[] payload) {
        byte[] key = {0x11, 0x22, 0x33, 0x44};
        java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        }
        frame.writeBytes(key);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ key[i & 3]);
        }
        return frame.toByteArray();
    }

    @ParameterizedTest(name = "split after {0} bytes of the next frame")
    @ValueSource(ints = {1, 2, 3, 5, 7, 9})
    void aFrameWhoseNextHeadIsSplitAcrossReadsStillPassesAtOnce(int split) throws Exception {
        start(false, "", "");
        byte[] first = masked(1, "hello".getBytes(StandardCharsets.UTF_8));
        byte[] second = masked(split % 2 == 0 ? 9 : 2, new byte[split < 5 ? 10 : 200]);   // a ping or a binary
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/echo", ""));
            assertThat(raw.readHead()).startsWith("HTTP/1.1 101 ");
            byte[] both = java.util.Arrays.copyOf(first, first.length + split);
            System.arraycopy(second, 0, both, first.length, split);
            raw.send(both);
            assertThat(raw.readBytes(7)).as("the whole frame before the split head went on")
                    .isEqualTo("\u0081\u0005hello");
            raw.send(java.util.Arrays.copyOfRange(second, split, second.length));
            String answer = raw.readBytes(2);
            assertThat(answer.charAt(0)).isEqualTo(split % 2 == 0 ? '\u008a' : '\u0082');   // a pong, or the echo
        }
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {401, 403, 404, 429})
    void anUpstreamThatRefusesTheUpgradeHasItsAnswerRelayed(int status) throws Exception {
        start(false, "", "");
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/refuse?status=" + status, ""));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 " + status + " ").containsIgnoringCase("x-refused-by: test-upstream")
                    .doesNotContainIgnoringCase("upgrade: websocket");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).isEqualTo("{\"error\":\"refused with " + status + "\"}");
            // the connection stays an HTTP one
            raw.send("GET /ws/refuse?status=404 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(raw.readHead()).startsWith("HTTP/1.1 404 ");
        }
    }

    @Test
    void anInterimAnswerBeforeThe101IsNotTheAnswer() throws Exception {
        start(false, "", "");
        try (WebSocketClient client = WebSocketClient.connect(ws("/ws/early"))) {
            client.sendText("after early hints");
            assertThat(client.next().text()).isEqualTo("after early hints");
        }
    }

    @Test
    void handshakesTheUpstreamRefusesWith5xxOpenItsCircuit() throws Exception {
        upstream = WebSocketUpstream.plain();
        gateway = TestGateway.start(config(upstream.url(), "").replace("    headers:\n",
                "    circuit_breaker: {failure_threshold: 2, open_for: 1m}\n    headers:\n"));
        for (int i = 0; i < 2; i++) {
            try (RawClient raw = new RawClient(gateway.port())) {
                raw.send(handshake("/ws/refuse?status=503", ""));
                assertThat(raw.readHead()).startsWith("HTTP/1.1 503 ").containsIgnoringCase("x-refused-by");
            }
        }
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/echo", ""));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after:");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).contains("\"type\":\"circuit_open\"");
        }
    }

    @Test
    void anUpstreamThatCannotBeReachedGetsTheUsual502() throws Exception {
        upstream = WebSocketUpstream.plain();
        String unreachable;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            unreachable = "http://127.0.0.1:" + socket.getLocalPort();
        }
        gateway = TestGateway.start(config(unreachable, ""));
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/echo", ""));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 502 ");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).contains("\"type\":\"upstream_unavailable\"");
        }
    }

    @Test
    void aBadHandshakeIs400AndAnotherVersion426() throws Exception {
        start(false, "", "");
        String noKey = "GET /ws/echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        String post = handshake("/ws/echo", "").replaceFirst("GET", "POST");
        for (String bad : new String[] {noKey, post}) {
            try (RawClient raw = new RawClient(gateway.port())) {
                raw.send(bad);
                String head = raw.readHead();
                assertThat(head).startsWith("HTTP/1.1 400 ");
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
                assertThat(raw.readBytes(length)).contains("\"type\":\"bad_request\"");
            }
        }
        try (RawClient raw = new RawClient(gateway.port())) {
            raw.send(handshake("/ws/echo", "").replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 12"));
            String head = raw.readHead();
            assertThat(head).startsWith("HTTP/1.1 426 ").containsIgnoringCase("sec-websocket-version: 13");
            int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
            assertThat(raw.readBytes(length)).contains("\"type\":\"upgrade_required\"");
        }
        assertThat(upstream.handshakes).as("none went upstream").isEmpty();
    }

    @Test
    void anUpgradeOnARouteWithoutWebsocketIsAPlainRequest() throws Exception {
        try (TestUpstream http = TestUpstream.plain()) {
            upstream = WebSocketUpstream.plain();
            gateway = TestGateway.start(config(upstream.url(), "").replace("  - path: /plain/\n    upstream: ws\n",
                    "  - path: /plain/\n    upstream: http\n").replace("upstreams:\n", "upstreams:\n  http:\n"
                    + "    url: " + http.url() + "\n"));
            try (RawClient raw = new RawClient(gateway.port())) {
                raw.send(handshake("/plain/echo", ""));
                assertThat(raw.readHead()).startsWith("HTTP/1.1 200 ");
            }
            TestUpstream.Recorded seen = http.requests.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(seen.headers()).doesNotContainKey("upgrade");
            assertThat(seen.headers().get("connection")).isNotEqualToIgnoringCase("upgrade");
        }
    }

    @Test
    void theSessionEndsWithNothingHeld() throws Exception {
        start(false, "", "");
        WebSocketClient client = WebSocketClient.connect(ws("/ws/echo"));
        assertThat(gateway.gateway().lifecycle().inFlight()).as("an open session is in flight").isEqualTo(1);
        assertThat(gateway.upstream("ws").active()).isEqualTo(1);
        client.close(1000, "");
        client.closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        client.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.open.get() == 0);
        gateway.awaitQuiet();
    }
}
