package dev.platemate.gateway.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * One mapping of the parsed YAML tree while it is bound to records. Each read names the key it expects, so
 * {@link #rejectUnknownKeys()} can report the rest; every problem goes to the shared error list with its path,
 * its value and what was expected, and a default stands in so binding goes on and all errors are collected.
 */
final class ConfigNode {

    private final String path;
    private final Map<String, Object> values;
    private final List<String> errors;
    private final Set<String> known = new LinkedHashSet<>();

    ConfigNode(String path, Map<String, Object> values, List<String> errors) {
        this.path = path;
        this.values = values;
        this.errors = errors;
    }

    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    void error(String key, Object value, String expected) {
        errors.add(pathOf(key) + ": " + quote(value) + " (expected: " + expected + ")");
    }

    boolean has(String key) {
        known.add(key);
        return values.get(key) != null;
    }

    String string(String key, String fallback) {
        known.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Map || v instanceof List) {
            error(key, v, "a single value");
            return fallback;
        }
        return v.toString();
    }

    int integer(String key, int fallback, int min, int max) {
        return (int) longValue(key, fallback, min, max);
    }

    long longValue(String key, long fallback, long min, long max) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(s.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        error(key, s, max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                ? "a whole number of at least " + min : "a whole number from " + min + " to " + max);
        return fallback;
    }

    /** A number above 0 and at most 1, such as 0.5. */
    double fraction(String key, double fallback) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(s.trim());
            if (d > 0 && d <= 1) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        error(key, s, "a number above 0 and at most 1, such as 0.5");
        return fallback;
    }

    /** A number of at least 0, such as a price. */
    double nonNegative(String key, double fallback) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(s.trim());
            if (d >= 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        error(key, s, "a number of at least 0, such as 0.15");
        return fallback;
    }

    /** Whether {@code key} holds a mapping (rather than a single value). */
    boolean isMapping(String key) {
        return values.get(key) instanceof Map;
    }

    boolean bool(String key, boolean fallback) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        error(key, s, "true or false");
        return fallback;
    }

    Duration duration(String key, Duration fallback) {
        return parsed(key, fallback, Durations::parse, "a duration such as 250ms, 30s, 5m or 1h");
    }

    /** A duration that must be above zero. */
    Duration positiveDuration(String key, Duration fallback) {
        Duration d = duration(key, fallback);
        if (d.isZero() && values.get(key) != null) {
            error(key, values.get(key), "a duration above zero");
            return fallback;
        }
        return d;
    }

    DataSize size(String key, DataSize fallback) {
        return parsed(key, fallback, DataSize::parse, "a size such as 512, 64KiB or 25MiB");
    }

    <T> T parsed(String key, T fallback, Function<String, Optional<T>> parser, String expected) {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        Optional<T> value = parser.apply(s);
        if (value.isEmpty()) {
            error(key, s, expected);
            return fallback;
        }
        return value.get();
    }

    /** The mapping under {@code key}; an absent key gives an empty mapping, so its defaults apply. */
    @SuppressWarnings("unchecked")
    ConfigNode child(String key) {
        known.add(key);
        Object v = values.get(key);
        if (v instanceof Map<?, ?> map) {
            return new ConfigNode(pathOf(key), (Map<String, Object>) map, errors);
        }
        if (v != null) {
            error(key, v, "a mapping of keys to values");
        }
        return new ConfigNode(pathOf(key), Map.of(), errors);
    }

    /** The mappings listed under {@code key}. */
    @SuppressWarnings("unchecked")
    List<ConfigNode> children(String key) {
        known.add(key);
        Object v = values.get(key);
        List<ConfigNode> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof List<?> list)) {
            error(key, v, "a list");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            String itemPath = pathOf(key) + "[" + i + "]";
            if (item instanceof Map<?, ?> map) {
                out.add(new ConfigNode(itemPath, (Map<String, Object>) map, errors));
            } else {
                errors.add(itemPath + ": " + quote(item) + " (expected: a mapping of keys to values)");
            }
        }
        return out;
    }

    /** The scalars listed under {@code key}. */
    List<String> strings(String key, List<String> fallback) {
        known.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof List<?> list) || list.stream().anyMatch(x -> x instanceof Map || x instanceof List)) {
            error(key, v, "a list of values");
            return fallback;
        }
        return list.stream().map(String::valueOf).toList();
    }

    /** Every key of this mapping, for sections whose keys are names (upstreams, limiters, headers). */
    Set<String> keys() {
        known.addAll(values.keySet());
        return values.keySet();
    }

    /** The scalar mapping under {@code key}, such as an upstream's headers. */
    Map<String, String> stringMap(String key) {
        ConfigNode node = child(key);
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : node.keys()) {
            out.put(name, node.string(name, ""));
        }
        return out;
    }

    void rejectUnknownKeys() {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                errors.add(pathOf(key) + ": unknown key (expected one of: " + String.join(", ", known) + ")");
            }
        }
    }

    private static String quote(Object value) {
        if (value instanceof Map || value instanceof List) {
            return value.toString();
        }
        return "'" + value + "'";
    }
}
