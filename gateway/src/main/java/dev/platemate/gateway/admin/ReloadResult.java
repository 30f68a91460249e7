package dev.platemate.gateway.admin;

import java.util.List;

/**
 * What a reload did.
 *
 * @param errors          why the new config was refused (the old one keeps running); empty when it was applied
 * @param changed         what took effect, such as {@code limiters.ai} or {@code routes}
 * @param restartRequired sections that changed but take effect only at the next start
 */
public record ReloadResult(List<String> errors, List<String> changed, List<String> restartRequired) {

    public ReloadResult {
        errors = List.copyOf(errors);
        changed = List.copyOf(changed);
        restartRequired = List.copyOf(restartRequired);
    }

    public static ReloadResult refused(List<String> errors) {
        return new ReloadResult(errors, List.of(), List.of());
    }

    public boolean applied() {
        return errors.isEmpty();
    }
}
