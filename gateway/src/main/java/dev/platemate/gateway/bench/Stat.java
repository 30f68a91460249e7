package dev.platemate.gateway.bench;

import java.util.Locale;

/**
 * One row of the Quick Stats: a measurement before (direct) and after (through the gateway).
 *
 * @param lowerIsBetter true for times, false for rates; null for a row with no comparison (before is NaN)
 */
record Stat(String metric, String unit, double before, double after, Boolean lowerIsBetter) {

    /** How many times better "after" is: above 1 is an improvement; NaN when not comparable. */
    double factor() {
        if (lowerIsBetter == null || before <= 0 || after <= 0) {
            return Double.NaN;
        }
        return lowerIsBetter ? before / after : after / before;
    }

    String improvement() {
        if (unit.equals("%")) {
            double points = after - before;
            return String.format(Locale.ROOT, "%+.0f points", points);
        }
        double factor = factor();
        if (Double.isNaN(factor)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1fx %s", factor, lowerIsBetter ? "faster" : "more");
    }

    String format(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        return String.format(Locale.ROOT, unit.equals("req/s") || unit.equals("%") ? "%.0f %s" : "%.1f %s", value,
                unit);
    }
}
