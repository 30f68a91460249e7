package dev.platemate.gateway.config;

import java.util.List;

/** gateway.yml could not be used; {@link #errors()} lists every problem, each naming path, value and expectation. */
public final class ConfigException extends Exception {

    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(String.join("\n", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
