package dev.platemate.gateway.testing;

import java.util.List;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * {@link LeakCheckExtension} for jqwik's properties and examples, which JUnit Jupiter's extensions do not reach
 * (registered for every one through the service loader): after each, with all its tries, no ByteBuf may have leaked.
 */
public final class LeakCheckHook implements AroundPropertyHook {

    /** Registered once, for the whole engine: it reaches every property below. */
    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        List<String> leaks = LeakRecorder.drain();
        return leaks.isEmpty() ? result
                : result.mapToFailed(new AssertionError("Netty buffers leaked (paranoid detection): " + leaks));
    }
}
