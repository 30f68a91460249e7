package dev.platemate.gateway.websocket;

import dev.platemate.gateway.server.GatewayError;
import dev.platemate.gateway.server.Responses;
import dev.platemate.gateway.wire.HopByHop;
import dev.platemate.gateway.wire.Tokens;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The opening handshake of RFC 6455 as the gateway sees it from both sides: whether a request asks for a
 * WebSocket, whether it asks correctly, the head that goes upstream (the client's key goes on, so the upstream's
 * accept answers it; no extension is offered), and whether the upstream's 101 is one. Stateless.
 */
final class Handshake {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final String VIA = "1.1 platemate-gateway";

    private Handshake() {
    }

    /** Whether the request asks to switch to WebSocket ({@code Upgrade: websocket}); not whether it does so right. */
    static boolean wanted(HttpRequest request) {
        return Tokens.contains(request.headers().getAll(HttpHeaderNames.UPGRADE), "websocket");
    }

    /** The gateway's answer to a request that asks wrongly (400, or 426 for another version), or null. */
    static FullHttpResponse refusal(HttpRequest request) {
        HttpHeaders headers = request.headers();
        if (!HttpMethod.GET.equals(request.method())) {
            return Responses.error(GatewayError.BAD_REQUEST, "a WebSocket handshake is a GET");
        }
        if (!request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            return Responses.error(GatewayError.BAD_REQUEST, "a WebSocket handshake is an HTTP/1.1 request");
        }
        if (!Tokens.contains(headers.getAll(HttpHeaderNames.CONNECTION), "upgrade")) {
            return Responses.error(GatewayError.BAD_REQUEST, "a WebSocket handshake has Connection: Upgrade");
        }
        String key = headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || !validKey(key.trim())) {
            return Responses.error(GatewayError.BAD_REQUEST,
                    "a WebSocket handshake has a Sec-WebSocket-Key of 16 bytes in base64");
        }
        List<String> versions = headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (versions.size() != 1 || !versions.get(0).trim().equals("13")) {
            FullHttpResponse refused = Responses.error(GatewayError.UPGRADE_REQUIRED,
                    "only WebSocket version 13 is spoken here");
            refused.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            return refused;
        }
        return null;
    }

    private static boolean validKey(String key) {
        try {
            return key.length() == 24 && Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Makes the client's handshake (already rewritten as any request to the upstream: Host, X-Forwarded-*, the
     * upstream's headers, hop-by-hop fields gone) a handshake again, without extensions: the gateway reads every
     * message, so a compressed one would be neither measured nor read.
     */
    static void toUpstream(HttpRequest request, String clientKey, List<String> protocols) {
        HttpHeaders headers = request.headers();
        headers.remove(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
        headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.SEC_WEBSOCKET_KEY, clientKey);
        headers.set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        headers.remove(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (!protocols.isEmpty()) {
            headers.set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, String.join(", ", protocols));
        }
    }

    /** The subprotocols the client offers, in its order. */
    static List<String> protocols(HttpRequest request) {
        List<String> offered = new ArrayList<>();
        for (String value : request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String token : value.split(",")) {
                String protocol = token.trim();
                if (Tokens.isToken(protocol) && !offered.contains(protocol)) {
                    offered.add(protocol);
                }
            }
        }
        return offered;
    }

    /**
     * Why the upstream's 101 is not the answer to this handshake (a wrong accept, an extension or a subprotocol
     * nobody offered), or null when it is.
     */
    static String wrongSwitch(HttpResponse response, String clientKey, List<String> offered) {
        HttpHeaders headers = response.headers();
        if (!Tokens.contains(headers.getAll(HttpHeaderNames.UPGRADE), "websocket")) {
            return "it switched to another protocol than WebSocket";
        }
        if (!accept(clientKey).equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT))) {
            return "its Sec-WebSocket-Accept does not answer the key";
        }
        if (headers.contains(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS)) {
            return "it chose an extension none was offered";
        }
        String protocol = headers.get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (protocol != null && !offered.contains(protocol.trim())) {
            return "it chose a subprotocol the client did not offer";
        }
        return null;
    }

    /** The 101 for the client: the upstream's own fields (see {@link #copyOwnFields}), then the handshake's. */
    static FullHttpResponse toClient(HttpResponse upstream, String clientKey) {
        FullHttpResponse switching = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS);
        HttpHeaders headers = switching.headers();
        copyOwnFields(upstream, headers);
        headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, accept(clientKey));
        return switching;
    }

    /**
     * The fields of an upstream's answer that are the message's own, for the client: not hop-by-hop ones or those
     * its Connection names, not framing (the gateway frames what it sends), only names that are tokens; and Via.
     */
    static void copyOwnFields(HttpResponse upstream, HttpHeaders to) {
        List<String> named = new ArrayList<>();
        upstream.headers().getAll(HttpHeaderNames.CONNECTION).forEach(v -> named.addAll(List.of(v.split(","))));
        for (Map.Entry<String, String> field : upstream.headers()) {
            String name = field.getKey();
            if (Tokens.isToken(name) && !HopByHop.is(name) && !name.equalsIgnoreCase("via")
                    && !name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("transfer-encoding")
                    && named.stream().noneMatch(n -> n.trim().equalsIgnoreCase(name))) {
                to.add(name, field.getValue());
            }
        }
        String via = upstream.headers().get(HttpHeaderNames.VIA);
        to.set(HttpHeaderNames.VIA, via == null ? VIA : via + ", " + VIA);
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.trim() + GUID)
                    .getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JVM", e);
        }
    }
}
