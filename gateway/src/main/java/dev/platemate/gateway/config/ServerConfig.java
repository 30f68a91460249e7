package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code server:} section: where the gateway listens and the limits it holds every client to.
 *
 * @param ioThreads      event loops; 0 means one per core
 * @param trustedProxies peers whose X-Forwarded-For is kept; from anyone else it is replaced
 */
public record ServerConfig(
        String host,
        int port,
        int ioThreads,
        int maxConnections,
        DataSize maxRequestLine,
        DataSize maxHeaderSize,
        DataSize maxBodySize,
        Duration headerTimeout,
        Duration idleTimeout,
        Duration shutdownTimeout,
        List<Cidr> trustedProxies) {

    public ServerConfig {
        trustedProxies = List.copyOf(trustedProxies);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, ioThreads, maxConnections, maxRequestLine, maxHeaderSize,
                maxBodySize, headerTimeout, idleTimeout, shutdownTimeout, trustedProxies);
    }

    public ServerConfig withHost(String newHost) {
        return new ServerConfig(newHost, port, ioThreads, maxConnections, maxRequestLine, maxHeaderSize,
                maxBodySize, headerTimeout, idleTimeout, shutdownTimeout, trustedProxies);
    }

    /** A copy that trusts {@code proxies} instead. */
    public ServerConfig withTrustedProxies(List<Cidr> proxies) {
        return new ServerConfig(host, port, ioThreads, maxConnections, maxRequestLine, maxHeaderSize,
                maxBodySize, headerTimeout, idleTimeout, shutdownTimeout, proxies);
    }
}
