package dev.platemate.gateway.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a {@link TestUpstream} and a {@link TestGateway} in front of it (route {@code /api/} to upstream
 * {@code test}) before each test, on free ports, and closes both after it, checking nothing is left held.
 * Use with {@code @RegisterExtension}.
 */
public final class GatewayExtension implements BeforeEachCallback, AfterEachCallback {

    private final boolean tls;
    private final String upstreamExtra;
    private TestUpstream upstream;
    private TestGateway gateway;

    private GatewayExtension(boolean tls, String upstreamExtra) {
        this.tls = tls;
        this.upstreamExtra = upstreamExtra;
    }

    public static GatewayExtension plain() {
        return new GatewayExtension(false, "");
    }

    /** With extra YAML lines under the upstream, such as {@code pool:} settings. */
    public static GatewayExtension plain(String upstreamExtra) {
        return new GatewayExtension(false, upstreamExtra);
    }

    public TestUpstream upstream() {
        return upstream;
    }

    public TestGateway gateway() {
        return gateway;
    }

    /** Replaces the running gateway with one built from {@code yaml} (closed after the test as usual). */
    public TestGateway restart(String yaml) throws Exception {
        gateway.close();
        gateway = TestGateway.start(yaml);
        return gateway;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        upstream = tls ? TestUpstream.tls() : TestUpstream.plain();
        gateway = TestGateway.start(TestGateway.config(upstream.url(), upstreamExtra));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            gateway.close();
        } finally {
            upstream.close();
        }
    }
}
