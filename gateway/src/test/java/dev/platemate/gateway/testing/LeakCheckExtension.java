package dev.platemate.gateway.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Registered for every test (auto-detected): after each one, no ByteBuf may have leaked. */
public final class LeakCheckExtension implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        LeakRecorder.leaked().ifPresent(leak -> {
            throw leak;
        });
    }
}
