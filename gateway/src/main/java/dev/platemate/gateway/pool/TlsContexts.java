package dev.platemate.gateway.pool;

import dev.platemate.gateway.config.UpstreamConfig.TlsConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Builds the client TLS context of an upstream: the JDK's trust anchors plus {@code ca_file}, or none at all. */
public final class TlsContexts {

    private TlsContexts() {
    }

    /** Called once per upstream at startup or reload (reads files; never on an event loop). */
    public static SslContext forUpstream(TlsConfig tls) throws IOException, GeneralSecurityException {
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (!tls.verify()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            builder.endpointIdentificationAlgorithm("HTTPS");
            if (!tls.caFile().isEmpty()) {
                builder.trustManager(withExtraAnchors(Path.of(tls.caFile())));
            }
        }
        return builder.build();
    }

    private static TrustManagerFactory withExtraAnchors(Path pem) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jdk.init((KeyStore) null);
        int n = 0;
        for (TrustManager manager : jdk.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                for (X509Certificate anchor : x509.getAcceptedIssuers()) {
                    store.setCertificateEntry("jdk-" + n++, anchor);
                }
            }
        }
        try (InputStream in = Files.newInputStream(pem)) {
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-file-" + n++, certificate);
            }
        }
        TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        combined.init(store);
        return combined;
    }
}
