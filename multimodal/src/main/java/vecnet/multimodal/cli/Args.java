package vecnet.multimodal.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small command-line parser for the {@code vecnet} commands (no dependency): options are
 * {@code --name}, {@code --name VALUE}, {@code --name=VALUE}, or {@code --name V1 V2 ...} for options
 * that take several values (all following words up to the next {@code --option}).
 *
 * <p>Every mistake is a {@link UsageException} with one line naming the option.
 */
final class Args {
    /** How an option is written. */
    enum Kind { FLAG, VALUE, VALUES }

    /** A mistake on the command line; the CLI prints its message and exits with status 2. */
    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private Args() {
    }

    /** Parses {@code args} against {@code spec} (option name without dashes -> kind). */
    static Args parse(List<String> args, Map<String, Kind> spec) {
        Args out = new Args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException("unexpected argument '" + a + "' (options start with --)");
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Kind kind = spec.get(name);
            if (kind == null) {
                throw new UsageException("unknown option --" + name);
            }
            List<String> list = out.values.computeIfAbsent(name, k -> new ArrayList<>());
            switch (kind) {
                case FLAG -> {
                    if (inline != null) {
                        throw new UsageException("option --" + name + " takes no value");
                    }
                    list.add("true");
                }
                case VALUE -> {
                    if (inline == null) {
                        if (i + 1 >= args.size()) {
                            throw new UsageException("option --" + name + " needs a value");
                        }
                        inline = args.get(++i);
                    }
                    if (!list.isEmpty()) {
                        throw new UsageException("option --" + name + " given twice");
                    }
                    list.add(inline);
                }
                case VALUES -> {
                    if (inline != null) {
                        list.add(inline);
                    }
                    while (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                        list.add(args.get(++i));
                    }
                    if (list.isEmpty()) {
                        throw new UsageException("option --" + name + " needs at least one value");
                    }
                }
            }
        }
        return out;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String value(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.get(0);
    }

    String required(String name) {
        String v = value(name, null);
        if (v == null) {
            throw new UsageException("missing required option --" + name);
        }
        return v;
    }

    Path requiredPath(String name) {
        return Path.of(required(name));
    }

    List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    List<String> requiredValues(String name) {
        List<String> v = values(name);
        if (v.isEmpty()) {
            throw new UsageException("missing required option --" + name);
        }
        return v;
    }

    /** An integer option that must be at least {@code min}. */
    int intValue(String name, int fallback, int min) {
        String v = value(name, null);
        if (v == null) {
            return fallback;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
        if (n < min) {
            throw new UsageException("--" + name + " must be at least " + min + ", got " + n);
        }
        return n;
    }

    long longValue(String name, long fallback) {
        String v = value(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
    }
}
