package dev.platemate.gateway.admin;

import java.util.concurrent.CompletableFuture;

/** Re-reads the config and swaps it in, off the event loops; behind {@code POST /admin/reload} and SIGHUP. */
@FunctionalInterface
public interface Reloads {

    CompletableFuture<ReloadResult> reload();
}
