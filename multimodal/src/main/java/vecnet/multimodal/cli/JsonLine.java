package vecnet.multimodal.cli;

import java.util.List;
import vecnet.multimodal.Prediction;

/**
 * One prediction as one line of JSON:
 * {@code {"input": ..., "text": ..., "logits": [...], "probabilities": [...], "top": [{"index", "label", "probability"}]}}.
 * With {@code --logits top} the two arrays are left out and each top entry also has its {@code "logit"};
 * with {@code --logits none} only the top entries' index, label and probability remain.
 *
 * <p>Floats are written with {@link Float#toString}, the shortest decimal that reads back to the same
 * float32 ({@code Float.parseFloat} in Java, {@code numpy.float32(...)} in Python); non-finite values,
 * which JSON cannot hold, are written as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
 */
final class JsonLine {
    private JsonLine() {
    }

    /** The line for {@code p} ({@code text} may be null: the key is then left out). */
    static String of(String input, String text, Prediction p, List<String> labels, int top, Cli.Logits logits) {
        StringBuilder sb = new StringBuilder("{\"input\":");
        string(sb, input);
        if (text != null) {
            sb.append(",\"text\":");
            string(sb, text);
        }
        if (logits == Cli.Logits.ALL) {
            sb.append(",\"logits\":");
            floats(sb, p.logits());
            sb.append(",\"probabilities\":");
            floats(sb, p.probabilities());
        }
        sb.append(",\"top\":[");
        int[] order = Cli.topK(p.probabilities(), top);
        for (int i = 0; i < order.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"index\":").append(order[i]).append(",\"label\":");
            string(sb, labels.get(order[i]));
            sb.append(",\"probability\":");
            number(sb, p.probability(order[i]));
            if (logits == Cli.Logits.TOP) {
                sb.append(",\"logit\":");
                number(sb, p.logit(order[i]));
            }
            sb.append('}');
        }
        return sb.append("]}").toString();
    }

    static void floats(StringBuilder sb, float[] values) {
        sb.append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            number(sb, values[i]);
        }
        sb.append(']');
    }

    static void number(StringBuilder sb, float v) {
        if (Float.isFinite(v)) {
            sb.append(Float.toString(v));
        } else {
            sb.append('"').append(Float.toString(v)).append('"');
        }
    }

    /** A JSON string literal (RFC 8259 escapes). */
    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
