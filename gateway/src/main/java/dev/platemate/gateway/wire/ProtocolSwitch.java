package dev.platemate.gateway.wire;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * Switches a connection's pipeline from HTTP to another protocol (after a 101): the new handlers go in after the
 * HTTP decoder, then the HTTP handlers leave, the decoder last, so that whatever it read past the 101 goes on to
 * them. Stateless; on the channel's event loop.
 */
public final class ProtocolSwitch {

    private ProtocolSwitch() {
    }

    /**
     * @param decoder the HTTP decoder's name
     * @param http    the other HTTP handlers' names, which leave before it
     */
    public static void replace(ChannelPipeline pipeline, String decoder, String[] http, ChannelHandler... handlers) {
        String after = decoder;
        for (int i = 0; i < handlers.length; i++) {
            pipeline.addAfter(after, "switched-" + i, handlers[i]);
            after = "switched-" + i;
        }
        for (String name : http) {
            pipeline.remove(name);
        }
        pipeline.remove(decoder);
    }
}
