package dev.platemate.gateway.wire;

import io.netty.buffer.ByteBuf;

/**
 * The bytes of a request's upstream head, its request line and header lines each ended by CRLF, without the blank
 * line that ends the head: written where the upstream's encoder gets to the request, as often as it is sent.
 */
public interface HeadBytes {

    void writeTo(ByteBuf out);
}
