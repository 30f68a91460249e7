package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.Optional;

/**
 * An upstream's {@code auth.oauth2_client_credentials}: where its Bearer token is fetched, with what client.
 * The secret is never printed, not even by {@link #toString()}.
 *
 * @param scheme        of {@code token_url}: {@code http} or {@code https}
 * @param target        the token URL's path and query
 * @param refreshBefore how long before the token expires it is fetched again; empty: at 80 % of its lifetime
 */
public record OAuthConfig(String scheme, String host, int port, String target, String clientId,
                          String clientSecret, String scope, Optional<Duration> refreshBefore) {

    /** Whether there is a client to ask for: an unset environment leaves the upstream without auth, as before. */
    public boolean enabled() {
        return !clientId.isBlank() && !clientSecret.isBlank();
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    /** The Host header value of the token request. */
    public String authority() {
        boolean defaultPort = secure() ? port == 443 : port == 80;
        return defaultPort ? host : host + ":" + port;
    }

    @Override
    public String toString() {
        int query = target.indexOf('?');
        return "OAuthConfig[" + scheme + "://" + authority() + (query < 0 ? target : target.substring(0, query))
                + ", client " + (enabled() ? "set" : "unset") + "]";
    }
}
