package dev.platemate.gateway.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Replaces {@code ${VAR}} and {@code ${VAR:-default}} in a scalar from the environment it is given. */
final class EnvironmentSubstitution {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Map<String, String> environment;

    EnvironmentSubstitution(Map<String, String> environment) {
        this.environment = environment;
    }

    /** The value with references replaced; an unset variable without a default is reported, never printed. */
    String apply(String path, String value, List<String> errors) {
        if (value.indexOf("${") < 0) {
            return value;
        }
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = environment.get(m.group(1));
            if (replacement == null || (replacement.isEmpty() && m.group(2) != null)) {
                replacement = m.group(2);
            }
            if (replacement == null) {
                errors.add(path + ": '" + m.group() + "' (expected: environment variable " + m.group(1)
                        + " to be set, or a default as ${" + m.group(1) + ":-value})");
                replacement = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
