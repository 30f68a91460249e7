package dev.platemate.gateway.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads gateway.yml into a {@link GatewayConfig}: YAML to a plain tree, environment references replaced in every
 * scalar, then bound and validated by {@link ConfigBinder}. The only class that knows the file is YAML.
 */
public final class ConfigLoader {

    private static final YAMLMapper YAML = new YAMLMapper();

    private final Map<String, String> environment;

    /** @param environment where {@code ${VAR}} references are looked up (System.getenv() in production) */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public GatewayConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot be read (" + e.getMessage() + ")"));
        }
        return parse(text, file.toAbsolutePath().getParent());
    }

    /**
     * @param baseDirectory relative file paths in the config (such as {@code tls.ca_file}) are resolved against it
     */
    public GatewayConfig parse(String yaml, Path baseDirectory) throws ConfigException {
        Object tree;
        try {
            tree = YAML.readValue(yaml, Object.class);
        } catch (JacksonException e) {
            throw new ConfigException(List.of("gateway.yml is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr())));
        }
        List<String> errors = new ArrayList<>();
        Map<String, Object> root = tree == null ? Map.of() : asRoot(tree, errors);
        @SuppressWarnings("unchecked")
        Map<String, Object> substituted = (Map<String, Object>) substitute("", root,
                new EnvironmentSubstitution(environment), errors);
        GatewayConfig config = new ConfigBinder(baseDirectory).bind(new ConfigNode("", substituted, errors));
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return config;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asRoot(Object tree, List<String> errors) {
        if (tree instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        errors.add("gateway.yml: expected a mapping of sections (server, upstreams, routes, ...)");
        return Map.of();
    }

    private static Object substitute(String path, Object node, EnvironmentSubstitution env, List<String> errors) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                String key = String.valueOf(k);
                out.put(key, substitute(path.isEmpty() ? key : path + "." + key, v, env, errors));
            });
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                out.add(substitute(path + "[" + i + "]", list.get(i), env, errors));
            }
            return out;
        }
        return node instanceof String s ? env.apply(path, s, errors) : node;
    }
}
