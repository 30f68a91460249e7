package dev.platemate.gateway.proxy;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * The upstream answers an exchange's client must not see, or not yet: informational (1xx) heads, and answers held
 * back while the request goes again (a 5xx to retry, a provider's 429). The last held answer is kept across
 * attempts: if no later attempt can be made, the client gets it as the upstream sent it. Event-loop only.
 */
final class HeldResponses {

    enum Kind { INFORMATIONAL, RETRY, PROVIDER_429 }

    private Kind current;
    private AbsorbedResponse last;

    /** Holds the response that starts with {@code head}. */
    void hold(HttpResponse head, Kind kind) {
        current = kind;
        if (kind != Kind.INFORMATIONAL) {
            last = new AbsorbedResponse(head);
        }
    }

    /** Whether the response being read is held. */
    boolean holding() {
        return current != null;
    }

    /** Takes a part of the held response (it is released). @return the kind of hold this part ended, or null */
    Kind take(HttpObject part) {
        Kind kind = current;
        if (kind == Kind.INFORMATIONAL) {
            ReferenceCountUtil.release(part);
        } else {
            last.append((HttpContent) part);
        }
        if (part instanceof LastHttpContent) {
            current = null;
            return kind;
        }
        return null;
    }

    /** Whether an upstream answer is kept for the client. */
    boolean hasAnswer() {
        return last != null;
    }

    AbsorbedResponse answer() {
        return last;
    }
}
