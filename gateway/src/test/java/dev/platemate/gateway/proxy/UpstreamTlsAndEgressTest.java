package dev.platemate.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.platemate.gateway.testing.TestGateway;
import dev.platemate.gateway.testing.TestTunnelProxy;
import dev.platemate.gateway.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** TLS upstreams are verified (trust and hostname); egress proxies carry the connection. */
class UpstreamTlsAndEgressTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void untrustedCertificateIsRefused() throws Exception {
        try (TestUpstream upstream = TestUpstream.tls();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url())
                     .replace(TestUpstream.certificateFile().toString(),
                             TestUpstream.resourceFile("other-ca.pem").toString()))) {
            HttpResponse<String> response = gateway.get("/api/json?size=5");
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(JSON.readTree(response.body()).get("error").get("type").asText())
                    .isEqualTo("upstream_unavailable");
            assertThat(upstream.requests).isEmpty();
        }
    }

    @Test
    void certificateForAnotherHostIsRefused() throws Exception {
        try (TestUpstream upstream = TestUpstream.tlsForWrongHost();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url())
                     .replace(TestUpstream.certificateFile().toString(),
                             TestUpstream.resourceFile("wrong-host-cert.pem").toString()))) {
            assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(502);
            assertThat(upstream.requests).isEmpty();
        }
    }

    @Test
    void verificationCanBeTurnedOff() throws Exception {
        try (TestUpstream upstream = TestUpstream.tlsForWrongHost();
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url())
                     .replace("ca_file: " + TestUpstream.certificateFile(), "verify: false"))) {
            assertThat(gateway.get("/api/json?size=5").statusCode()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @EnumSource(TestTunnelProxy.Kind.class)
    void egressProxyCarriesTlsConnections(TestTunnelProxy.Kind kind) throws Exception {
        try (TestUpstream upstream = TestUpstream.tls();
             TestTunnelProxy proxy = new TestTunnelProxy(kind);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "egress_proxy: " + proxy.url()))) {
            for (int i = 0; i < 3; i++) {
                assertThat(gateway.get("/api/json?size=100").body()).hasSize(100);
            }
            assertThat(proxy.tunnels).containsExactly("localhost:" + upstream.port());
        }
    }

    @Test
    void egressProxyCarriesPlainConnections() throws Exception {
        try (TestUpstream upstream = TestUpstream.plain();
             TestTunnelProxy proxy = new TestTunnelProxy(TestTunnelProxy.Kind.HTTP);
             TestGateway gateway = TestGateway.start(TestGateway.config(upstream.url(),
                     "egress_proxy: " + proxy.url()))) {
            assertThat(gateway.get("/api/json?size=10").statusCode()).isEqualTo(200);
            assertThat(proxy.tunnels).containsExactly("127.0.0.1:" + upstream.port());
        }
    }
}
