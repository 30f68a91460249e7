package dev.platemate.gateway.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Binds an upstream's {@code auth:}: for now its {@code oauth2_client_credentials}. */
final class AuthConfigBinder {

    private AuthConfigBinder() {
    }

    /** @param headers the upstream's configured headers: a managed token and a configured Authorization clash */
    static Optional<OAuthConfig> auth(ConfigNode upstream, Map<String, String> headers) {
        if (!upstream.has("auth")) {
            return Optional.empty();
        }
        if (headers.keySet().stream().anyMatch(name -> name.equalsIgnoreCase("authorization"))) {
            upstream.error("auth", "", "no headers.Authorization beside it: the managed token is the Authorization");
        }
        ConfigNode auth = upstream.child("auth");
        Optional<OAuthConfig> oauth = auth.has("oauth2_client_credentials")
                ? Optional.of(clientCredentials(auth.child("oauth2_client_credentials"))) : Optional.empty();
        if (oauth.isEmpty()) {
            auth.error("oauth2_client_credentials", "", "{token_url, client_id, client_secret}");
        }
        auth.rejectUnknownKeys();
        return oauth.filter(OAuthConfig::enabled);   // no client in the environment: no auth, as without the key
    }

    private static OAuthConfig clientCredentials(ConfigNode n) {
        String url = n.string("token_url", "");
        String scheme = "https";
        String host = "invalid";
        int port = 443;
        String target = "/";
        try {
            URI uri = new URI(url.trim());
            scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null
                    || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
                throw new URISyntaxException(url, "unsupported");
            }
            host = uri.getHost();
            port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        } catch (URISyntaxException e) {
            n.error("token_url", url.replaceAll("//[^/@]*@", "//…@"), "http:// or https:// with a host and no "
                    + "credentials in it, such as https://oauth.fatsecret.com/connect/token");
        }
        Optional<Duration> refreshBefore = n.has("refresh_before")
                ? Optional.of(n.positiveDuration("refresh_before", Duration.ofMinutes(5))) : Optional.empty();
        OAuthConfig config = new OAuthConfig(scheme, host, port, target, n.string("client_id", "").trim(),
                n.string("client_secret", "").trim(), n.string("scope", "").trim(), refreshBefore);
        n.rejectUnknownKeys();
        return config;
    }
}
