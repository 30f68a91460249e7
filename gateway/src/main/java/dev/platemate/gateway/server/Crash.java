package dev.platemate.gateway.server;

/** Describes an exception thrown inside the gateway in one log line: its class, message and where it was thrown. */
public final class Crash {

    private Crash() {
    }

    public static String describe(Throwable cause) {
        StackTraceElement[] trace = cause.getStackTrace();
        String where = trace.length == 0 ? "" : " at " + trace[0].getClassName() + "." + trace[0].getMethodName()
                + "(" + trace[0].getFileName() + ":" + trace[0].getLineNumber() + ")";
        return cause + where;
    }
}
