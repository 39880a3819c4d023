package vecnet.multimodal.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on a terminal stream: {@code [==========>         ] 12/40 images}, redrawn
 * in place with a carriage return, finished with a newline. Used by {@code vecnet classify} and
 * {@code vecnet predict} on several pictures.
 *
 * <p>The bar owns the terminal's last line. Anything else printed while it is shown (a result on
 * stdout, which is often the same terminal, or an error line on stderr) must first {@link #clear()}
 * it: the bar is overwritten with spaces and the cursor returned to column 0, so the line printed
 * next starts clean, and the next {@link #update} draws the bar again below it. Without that, a
 * line printed after {@code \r[====>   ] 2/3 images} would be appended to the bar.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final int total;
    private final String unit;
    private int done = -1;
    /** Characters of the bar on the terminal's current line; 0 when the line is clear (nothing drawn). */
    private int drawn;

    ProgressBar(PrintStream out, int total, String unit) {
        this.out = out;
        this.total = total;
        this.unit = unit;
    }

    /** Shows {@code done} of {@code total} done (drawn again after a {@link #clear()}, else only when it changed). */
    synchronized void update(int done) {
        if (done == this.done && drawn > 0) {
            return;
        }
        this.done = done;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        StringBuilder bar = new StringBuilder("[");
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        bar.append("] ").append(done).append('/').append(total).append(' ').append(unit);
        // a shorter bar than the one on screen (never, as counts grow) would leave its tail: pad over it
        String padding = " ".repeat(Math.max(0, drawn - bar.length()));
        out.print("\r" + bar + padding);
        out.flush();
        drawn = bar.length() + padding.length();
    }

    /** Erases the bar, leaving the cursor at the start of its (now blank) line, so that a line can be printed there. */
    synchronized void clear() {
        if (drawn == 0) {
            return;
        }
        out.print("\r" + " ".repeat(drawn) + "\r");
        out.flush();
        drawn = 0;
    }

    /** Draws the bar full and ends its line: what follows starts on the next line. */
    synchronized void finish() {
        update(total);
        out.println();
        out.flush();
        drawn = 0;
    }
}
