package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 10: an error in a folder run was appended to the progress bar's line. The bar is
 * drawn on stderr when it is a terminal ({@code Cli}'s {@code terminal} flag, so no real terminal
 * is needed), and results go to stdout, which on a terminal is the same screen. These tests run
 * {@code vecnet predict} over a folder where a bad picture sits between two good ones, one picture
 * per batch, and check the exact bytes written and what a terminal would show.
 */
class ProgressBarTest {
    @TempDir
    static Path dir;
    private static Path weights, vocab, folder;

    /** The bar of {@code filled} '=' then '>' (unless full), 30 wide, then the count. */
    private static String bar(int filled, String count) {
        return "[" + "=".repeat(filled) + (filled < 30 ? ">" + " ".repeat(29 - filled) : "") + "] " + count + " images";
    }

    /** What erases a bar of {@code n} characters: back to column 0, blanks, back to column 0. */
    private static String erase(int n) {
        return "\r" + " ".repeat(n) + "\r";
    }

    @BeforeAll
    static void files() throws IOException {
        weights = resource("demo_model.safetensors");
        vocab = resource("demo_vocab.json");
        folder = Files.createDirectories(dir.resolve("pictures"));
        try (InputStream in = resourceStream("sample_0.png")) {
            Files.copy(in, folder.resolve("a.png"));
        }
        Files.writeString(folder.resolve("b.png"), "a text file, named like a picture");
        try (InputStream in = resourceStream("sample_1.png")) {
            Files.copy(in, folder.resolve("c.png"));
        }
    }

    private static InputStream resourceStream(String name) {
        return ProgressBarTest.class.getResourceAsStream("/vecnet/demo/" + name);
    }

    private static Path resource(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = resourceStream(name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static String[] predict(String... more) {
        List<String> args = new ArrayList<>(List.of("predict", "--weights", weights.toString(), "--vocab", vocab.toString(),
                "--image", folder.toString(), "--text", "what colour is the shape", "--json", "--batch", "1",
                "--threads", "1"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** The run with stdout and stderr on one terminal: everything written, in order, as one string. */
    private static CliRun.Result onOneTerminal(String... args) {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        int status;
        try (PrintStream tty = new PrintStream(screen, true, StandardCharsets.UTF_8)) {
            status = new Cli(tty, tty, new ByteArrayInputStream(new byte[0]), true).run(args);
        }
        String all = screen.toString(StandardCharsets.UTF_8);
        return new CliRun.Result(status, all, all, screen.toByteArray());
    }

    /**
     * The lines a terminal shows for {@code written}: a carriage return moves to column 0 and later
     * characters overwrite, a newline starts the next line; trailing blanks are invisible and dropped.
     */
    static List<String> screen(String written) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        int col = 0;
        for (char ch : written.toCharArray()) {
            if (ch == '\r') {
                col = 0;
            } else if (ch == '\n') {
                lines.add(line.toString().stripTrailing());
                line.setLength(0);
                col = 0;
            } else {
                if (col < line.length()) {
                    line.setCharAt(col, ch);
                } else {
                    line.append(ch);
                }
                col++;
            }
        }
        if (!line.isEmpty()) {
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    @Test
    void theBarIsErasedBeforeAnErrorLineAndDrawnAgainAfterIt() {
        CliRun.Result plain = CliRun.run(predict());            // no terminal: no bar; the reference lines
        assertEquals(1, plain.status(), plain.err());
        List<String> results = plain.outLines();
        assertEquals(2, results.size(), plain.out());
        assertTrue(results.get(0).contains("a.png\"") && results.get(1).contains("c.png\""), plain.out());
        List<String> errors = plain.err().lines().toList();
        assertEquals(2, errors.size(), plain.err());
        String skipped = errors.get(0);
        assertTrue(skipped.startsWith("vecnet predict: skipped ") && skipped.contains("b.png: "), skipped);
        String summary = "vecnet predict: 2 of 3 pictures done, 1 failed";
        assertEquals(summary, errors.get(1));

        CliRun.Result r = CliRun.onTerminal(predict());
        assertEquals(1, r.status(), r.err());
        assertEquals(plain.out(), r.out(), "the bar is on stderr only");
        int n = bar(0, "0/3").length();
        assertEquals(43, n);
        String expected = "\r" + bar(0, "0/3")
                + erase(n)                                      // a.png's result is printed on stdout
                + "\r" + bar(10, "1/3")
                + erase(n) + skipped + "\n"                      // b.png: the error on a clean line of its own
                + "\r" + bar(20, "2/3")                          // the bar again, below the error
                + erase(n)                                      // c.png's result
                + "\r" + bar(30, "3/3") + "\n"                   // finished: the full bar stays
                + summary + "\n";
        assertEquals(expected, r.err());
    }

    @Test
    void resultsErrorsAndTheBarShareOneTerminalWithoutMixing() {
        CliRun.Result plain = CliRun.run(predict());
        List<String> results = plain.outLines();
        String skipped = plain.err().lines().findFirst().orElseThrow();

        CliRun.Result tty = onOneTerminal(predict());
        assertEquals(1, tty.status(), tty.out());
        assertEquals(List.of(results.get(0), skipped, results.get(1), bar(30, "3/3"),
                "vecnet predict: 2 of 3 pictures done, 1 failed"), screen(tty.out()), tty.out());
    }

    @Test
    void aFatalErrorClearsTheBarFirst() {
        CliRun.Result plain = CliRun.run(predict("--fail-fast"));
        assertEquals(1, plain.status());
        String error = plain.oneErrorLine();
        assertTrue(error.startsWith("vecnet predict: error: ") && error.contains("b.png"), error);
        assertEquals(1, plain.outLines().size(), plain.out());

        CliRun.Result r = CliRun.onTerminal(predict("--fail-fast"));
        int n = bar(0, "0/3").length();
        assertEquals("\r" + bar(0, "0/3") + erase(n) + "\r" + bar(10, "1/3") + erase(n) + error + "\n", r.err());

        CliRun.Result tty = onOneTerminal(predict("--fail-fast"));
        assertEquals(List.of(plain.outLines().get(0), error), screen(tty.out()), tty.out());
    }

    @Test
    void theBarAloneRedrawsOnlyWhatChangedAndAfterAClear() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream s = new PrintStream(b, true, StandardCharsets.UTF_8);
        ProgressBar p = new ProgressBar(s, 4, "images");
        p.update(0);
        p.update(0);                                    // unchanged: nothing written
        p.clear();
        p.clear();                                      // already clear: nothing written
        p.update(0);                                    // same count, but erased: drawn again
        p.update(3);
        p.finish();
        p.clear();                                      // after finish the line is ended: nothing to erase
        String z = "[>" + " ".repeat(29) + "] 0/4 images";
        String three = "[" + "=".repeat(22) + ">" + " ".repeat(7) + "] 3/4 images";   // 30 * 3 / 4 = 22
        String full = "[" + "=".repeat(30) + "] 4/4 images";
        assertEquals("\r" + z + "\r" + " ".repeat(43) + "\r" + "\r" + z + "\r" + three + "\r" + full + "\n",
                b.toString(StandardCharsets.UTF_8));
    }
}
