package vecnet.multimodal.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on a terminal stream: {@code [==========>         ] 12/40 images}, redrawn
 * in place with a carriage return, finished with a newline. Used by {@code vecnet classify} on folders.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final int total;
    private final String unit;
    private int lastDrawn = -1;

    ProgressBar(PrintStream out, int total, String unit) {
        this.out = out;
        this.total = total;
        this.unit = unit;
    }

    /** Shows {@code done} of {@code total} done. */
    synchronized void update(int done) {
        if (done == lastDrawn) {
            return;
        }
        lastDrawn = done;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        StringBuilder sb = new StringBuilder("\r[");
        for (int i = 0; i < WIDTH; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        sb.append("] ").append(done).append('/').append(total).append(' ').append(unit);
        out.print(sb);
        out.flush();
    }

    /** Ends the line. */
    synchronized void finish() {
        update(total);
        out.println();
        out.flush();
    }

    /** Ends the bar's line where it stands, so that an error message starts on a line of its own. */
    synchronized void abandon() {
        out.println();
        out.flush();
    }
}
