package dev.platemate.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Registered for every test (auto-detected): after each one, no ByteBuf may have leaked. */
public final class LeakCheckExtension implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> leaks = LeakRecorder.drain();
        assertThat(leaks).as("Netty buffers leaked (paranoid detection)").isEmpty();
    }
}
