package dev.platemate.gateway.server;

/** An exchange outlived its deadlines without its client hearing: the {@link Backstop} ends it. */
final class StalledExchangeException extends RuntimeException {

    StalledExchangeException(String message) {
        super(message, null, false, false);
    }
}
