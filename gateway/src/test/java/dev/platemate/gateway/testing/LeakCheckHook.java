package dev.platemate.gateway.testing;

import java.util.Optional;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * {@link LeakCheckExtension} for jqwik's properties and examples, which JUnit Jupiter's extensions do not reach
 * (registered for every one through the service loader): after each, with all its tries, no ByteBuf may have leaked.
 * A property that failed keeps its own failure first, with the leak attached.
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
        Optional<AssertionError> leak = LeakRecorder.leaked();
        if (leak.isEmpty()) {
            return result;
        }
        Optional<Throwable> failure = result.throwable();
        if (result.status() == PropertyExecutionResult.Status.FAILED && failure.isPresent()) {
            failure.get().addSuppressed(leak.get());
            return result;
        }
        return result.mapToFailed(leak.get());
    }
}
