package dev.platemate.gateway.testing;

import org.testcontainers.DockerClientFactory;

/**
 * Whether a Docker engine answers here (a developer's laptop, most CI services), asked once per test run, and said
 * in the log: the Redis tests then use a container and the compose smoke test runs; without one (these machines)
 * the Redis tests use the local {@code redis-server} and the compose test reports itself as not run.
 */
public final class DockerEngine {

    private static volatile Boolean present;

    private DockerEngine() {
    }

    public static boolean present() {
        Boolean known = present;
        if (known == null) {
            boolean found;
            try {
                found = DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException | LinkageError e) {
                found = false;
            }
            present = known = found;
            System.out.println(found
                    ? "Docker engine found: Redis tests use a redis:7-alpine container, the compose smoke test runs"
                    : "No Docker engine: Redis tests use the local redis-server, the compose smoke test does not run");
        }
        return known;
    }
}
