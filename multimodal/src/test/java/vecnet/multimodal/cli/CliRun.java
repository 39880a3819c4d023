package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the {@code vecnet} command in-process and captures what it prints, for the CLI tests. */
public final class CliRun {
    private CliRun() {
    }

    /** The exit status and the text written on stdout and stderr. */
    public record Result(int status, String out, String err, byte[] outBytes) {
        public List<String> outLines() {
            return out.lines().toList();
        }

        /** The error output must be exactly one line (no stack trace). */
        public String oneErrorLine() {
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "expected one error line, got:\n" + err);
            return lines.get(0);
        }
    }

    /** {@code vecnet args...}, as the launcher would run it with its output redirected to files. */
    public static Result run(String... args) {
        return run(new byte[0], false, args);
    }

    /** {@code vecnet args...} with stderr on a terminal (the progress bar may show). */
    public static Result onTerminal(String... args) {
        return run(new byte[0], true, args);
    }

    /** {@code vecnet args...} reading {@code stdin} for the file name {@code -}. */
    public static Result run(byte[] stdin, boolean terminal, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            status = new Cli(out, err, new ByteArrayInputStream(stdin), terminal).run(args);
        }
        return new Result(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8),
                o.toByteArray());
    }
}
