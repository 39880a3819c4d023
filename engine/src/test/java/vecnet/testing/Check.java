package vecnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;

/**
 * The one assertion helper of vecnet's tests: compares float arrays element by element with
 * {@code |actual - expected| <= atol + rtol * |expected|} and, on failure, reports the first bad
 * index, the maximum absolute and relative differences and a few pairs.
 */
public final class Check {
    private Check() {
    }

    /** Fails unless every element is within {@code atol + rtol*|expected|}. */
    public static void close(String what, float[] expected, float[] actual, double atol, double rtol) {
        close(what, expected, 0, actual, 0, expected.length, atol, rtol);
    }

    /** As {@link #close(String, float[], float[], double, double)} on {@code len} elements from the offsets. */
    public static void close(String what, float[] expected, int eOff, float[] actual, int aOff, int len,
                             double atol, double rtol) {
        if (eOff + len > expected.length || aOff + len > actual.length) {
            fail(what + ": arrays too short (expected " + expected.length + ", actual " + actual.length
                    + ", comparing " + len + ")");
        }
        int firstBad = -1, bad = 0;
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < len; i++) {
            double e = expected[eOff + i], a = actual[aOff + i];
            double d = Math.abs(a - e);
            boolean ok = d <= atol + rtol * Math.abs(e) || (Double.isNaN(e) && Double.isNaN(a)) || e == a;
            if (!Double.isNaN(d)) {
                maxAbs = Math.max(maxAbs, d);
                if (e != 0) {
                    maxRel = Math.max(maxRel, d / Math.abs(e));
                }
            }
            if (!ok) {
                bad++;
                if (firstBad < 0) {
                    firstBad = i;
                }
            }
        }
        if (bad > 0) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%s: %d of %d elements differ (atol %.1e, rtol %.1e); first bad index %d;"
                    + " max abs diff %.3e, max rel diff %.3e; pairs (index: expected vs actual):", what, bad, len,
                    atol, rtol, firstBad, maxAbs, maxRel));
            int shown = 0;
            for (int i = firstBad; i < len && shown < 5; i++) {
                double e = expected[eOff + i], a = actual[aOff + i];
                if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)) && e != a) {
                    sb.append(String.format(Locale.ROOT, " [%d: %.9g vs %.9g]", i, e, a));
                    shown++;
                }
            }
            fail(sb.toString());
        }
    }

    /** Fails unless the arrays are bit-identical (NaNs compared by bits). */
    public static void identical(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(what + ": lengths differ, " + expected.length + " vs " + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                close(what + " (bit-identical expected)", expected, actual, 0, 0);
                fail(what + ": element " + i + " differs in its bits: " + expected[i] + " vs " + actual[i]);
            }
        }
    }

    /** The maximum absolute value of an array, at least 1: the scale for "1e-4 · max(1, max|ref|)" tolerances. */
    public static double scale(float[] ref) {
        double m = 1;
        for (float v : ref) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
