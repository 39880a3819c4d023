package vecnet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads HotSpot compilation logs ({@code -XX:+LogCompilation}) and lists the C2 compilations of
 * vecnet's methods that inlined a Vector API method late, or failed to apply a Vector API intrinsic.
 *
 * <p>A kernel whose Vector API calls go past C2's inlining budget has the calls parsed after that
 * point inlined late, where the result of a call has only its declared type; a call made on such a
 * result is dispatched by type profile, and in some compilations its intrinsic then fails and every
 * vector is boxed on the heap (see "Small enough for C2" in {@code VectorGemm}). Where the budget runs
 * out depends on the profile, so a test sees it one run in a few; the log shows it in every run. A late
 * call whose receiver is the result of a call parsed in time (the store of an FMA computed in the same
 * step) is harmless; the others are the kernel to shorten. Calls of {@code VectorSupport} (the
 * intrinsics themselves) are always inlined late and are not listed.
 *
 * <p>Run through {@code bench/inlining-audit.sh}.
 */
public final class InliningAudit {
    private static final Pattern TASK = Pattern.compile("<task ([^>]*)>(.*?)</task>", Pattern.DOTALL);
    private static final Pattern KLASS = Pattern.compile("<klass id='(\\d+)' name='([^']+)'");
    private static final Pattern METHOD = Pattern.compile("<method id='(\\d+)' holder='(\\d+)' name='([^']+)'");
    private static final Pattern LATE = Pattern.compile("<late_inline method='(\\d+)'");
    private static final Pattern INTRINSIC_FAIL = Pattern.compile("<inline_fail reason='failed to inline \\(intrinsic\\)'");

    private InliningAudit() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: InliningAudit compilation-log.xml...");
            System.exit(2);
        }
        int flagged = 0;
        for (String file : args) {
            flagged += audit(Files.readString(Path.of(file)), file);
        }
        System.out.println(flagged == 0
                ? "No C2 compilation of vecnet's methods inlined a Vector API call late."
                : flagged + " C2 compilation(s) of vecnet's methods inlined Vector API calls late (see above).");
    }

    /** Prints each flagged compilation of one log; returns how many there were. */
    static int audit(String log, String name) {
        int flagged = 0;
        Matcher task = TASK.matcher(log);
        while (task.find()) {
            String attributes = task.group(1), body = task.group(2);
            String method = attribute(attributes, "method");
            String level = attribute(attributes, "level");
            if (method == null || !method.startsWith("vecnet.") || (level != null && !level.equals("4"))) {
                continue; // C1's compilations carry a level below 4; C2's carry none (or 4)
            }
            Map<String, String> klasses = new HashMap<>(), holders = new HashMap<>(), names = new HashMap<>();
            for (Matcher k = KLASS.matcher(body); k.find(); ) {
                klasses.put(k.group(1), k.group(2));
            }
            for (Matcher m = METHOD.matcher(body); m.find(); ) {
                holders.put(m.group(1), m.group(2));
                names.put(m.group(1), m.group(3));
            }
            Map<String, Integer> late = new TreeMap<>();
            for (Matcher l = LATE.matcher(body); l.find(); ) {
                String holder = klasses.getOrDefault(holders.get(l.group(1)), "");
                if (holder.replace('/', '.').startsWith("jdk.incubator.vector.")) {
                    late.merge(names.get(l.group(1)), 1, Integer::sum);
                }
            }
            int failed = 0;
            for (Matcher f = INTRINSIC_FAIL.matcher(body); f.find(); ) {
                failed++;
            }
            if (!late.isEmpty() || failed > 0) {
                flagged++;
                System.out.printf("%s: %s%s (compile %s): late %s, intrinsics not applied: %d%n", name,
                        method.split(" ")[0] + "." + method.split(" ")[1],
                        attributes.contains("compile_kind='osr'") ? " [OSR]" : "",
                        attribute(attributes, "compile_id"), late, failed);
            }
        }
        return flagged;
    }

    private static String attribute(String attributes, String key) {
        Matcher m = Pattern.compile("\\b" + key + "='([^']*)'").matcher(attributes);
        return m.find() ? m.group(1) : null;
    }
}
