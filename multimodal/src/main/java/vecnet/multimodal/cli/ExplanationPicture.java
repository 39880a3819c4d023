package vecnet.multimodal.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import vecnet.multimodal.Explanation;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;

/**
 * Draws explanations as one PNG: for each explained class a header (the logit's split and who
 * decided), the CAM over the 224×224 crop, the same map over the original picture (mapped back
 * through the resize and the crop; outside the crop the picture is dimmed), Grad-CAM when there is
 * one, and the words as signed bars (integrated gradients; leave-one-out beside them).
 *
 * <p>Maps are upsampled bilinearly ({@code align_corners=False}: source {@code (d + 0.5)·in/out − 0.5},
 * clamped at the borders), scaled from their minimum to their maximum, coloured with
 * {@link #colour(double)} and blended half and half with the picture.
 */
final class ExplanationPicture {
    /** A viridis-like perceptual map: dark blue-violet, blue, teal, green, yellow at 0, 1/4, 1/2, 3/4, 1. */
    private static final int[][] STOPS = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    private static final int GAP = 10, HEADER = 44, CAPTION = 18, ROW = 18, WORD = 110, BAR = 220;

    private ExplanationPicture() {
    }

    /** One explained class with its names for the header. */
    record Part(Explanation explanation, String className, String runnerUpName) {}

    /** The colour of {@code v} in [0, 1] (clamped), interpolated linearly between the {@link #STOPS}. */
    static int colour(double v) {
        double t = Math.max(0, Math.min(1, v)) * (STOPS.length - 1);
        int i = Math.min(STOPS.length - 2, (int) t);
        double f = t - i;
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
            rgb = rgb << 8 | (int) Math.round(STOPS[i][c] + f * (STOPS[i + 1][c] - STOPS[i][c]));
        }
        return rgb;
    }

    /** {@code grid} sampled bilinearly at crop pixel {@code (cy, cx)} of a {@code crop × crop} crop. */
    static double sample(Explanation.Grid grid, int crop, double cy, double cx) {
        double gy = clamp((cy + 0.5) * grid.height() / crop - 0.5, grid.height() - 1);
        double gx = clamp((cx + 0.5) * grid.width() / crop - 0.5, grid.width() - 1);
        int y0 = (int) gy, x0 = (int) gx;
        int y1 = Math.min(y0 + 1, grid.height() - 1), x1 = Math.min(x0 + 1, grid.width() - 1);
        double fy = gy - y0, fx = gx - x0;
        return (1 - fy) * ((1 - fx) * grid.get(y0, x0) + fx * grid.get(y0, x1))
                + fy * ((1 - fx) * grid.get(y1, x0) + fx * grid.get(y1, x1));
    }

    private static double clamp(double v, double max) {
        return Math.max(0, Math.min(max, v));
    }

    /**
     * The picture of {@code parts} (one block each) for {@code original}, preprocessed by {@code pre};
     * {@code words} are the text's words (empty for an image classifier).
     */
    static BufferedImage render(ImageRgb original, ImagePreprocessor pre, List<Part> parts, List<String> words) {
        int crop = pre.cropSize();
        ImageRgb resized = pre.resize(original);
        ImageRgb cropped = pre.centerCrop(resized);
        int w = original.width(), h = original.height();
        int dh = crop, dw = (int) Math.max(1, Math.min(2L * crop, Math.round((double) crop * w / h)));
        boolean gradCam = parts.get(0).explanation().gradCam() != null;
        int panels = crop + GAP + dw + (gradCam ? GAP + crop : 0);
        int width = GAP + Math.max(panels, WORD + 2 * BAR + 170) + GAP;
        int block = HEADER + crop + CAPTION + words.size() * ROW + GAP + (words.isEmpty() ? 0 : ROW);
        BufferedImage img = new BufferedImage(width, parts.size() * block, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        // the crop's place in the resized picture: torchvision's center_crop offsets (see ImagePreprocessor.centerCrop)
        int rw = resized.width(), rh = resized.height();
        int left = (int) Math.rint((Math.max(rw, crop) - crop) / 2.0) - (crop > rw ? (crop - rw) / 2 : 0);
        int top = (int) Math.rint((Math.max(rh, crop) - crop) / 2.0) - (crop > rh ? (crop - rh) / 2 : 0);
        for (int p = 0; p < parts.size(); p++) {
            Explanation e = parts.get(p).explanation();
            int y0 = p * block;
            header(g, parts.get(p), y0);
            int py = y0 + HEADER;
            overlay(img, GAP, py, crop, crop, e.cam(), crop, (y, x) -> cropped.get(y, x, 0) << 16
                    | cropped.get(y, x, 1) << 8 | cropped.get(y, x, 2), (y, x) -> new double[] {y, x});
            overlay(img, GAP + crop + GAP, py, dh, dw, e.cam(), crop, (y, x) -> {
                int oy = (int) Math.min(h - 1, (y + 0.5) * h / dh), ox = (int) Math.min(w - 1, (x + 0.5) * w / dw);
                return original.get(oy, ox, 0) << 16 | original.get(oy, ox, 1) << 8 | original.get(oy, ox, 2);
            }, (y, x) -> {
                double oy = (y + 0.5) * h / dh - 0.5, ox = (x + 0.5) * w / dw - 0.5; // original pixel
                double ry = (oy + 0.5) * rh / h - 0.5, rx = (ox + 0.5) * rw / w - 0.5; // resized pixel
                return new double[] {ry - top, rx - left};                                 // crop pixel
            });
            text(g, "CAM, layer4 " + e.cam().height() + "×" + e.cam().width() + ", on the " + crop + "×" + crop + " crop",
                    GAP, py + crop + 13, 11);
            text(g, "on the " + w + "×" + h + " picture", GAP + crop + GAP, py + crop + 13, 11);
            if (e.gradCam() != null) {
                int gx = GAP + crop + GAP + dw + GAP;
                overlay(img, gx, py, crop, crop, e.gradCam(), crop, (y, x) -> cropped.get(y, x, 0) << 16
                        | cropped.get(y, x, 1) << 8 | cropped.get(y, x, 2), (y, x) -> new double[] {y, x});
                text(g, "Grad-CAM, layer" + e.gradCamLayer() + " " + e.gradCam().height() + "×" + e.gradCam().width(), gx,
                        py + crop + 13, 11);
            }
            bars(g, e, words, py + crop + CAPTION);
        }
        g.dispose();
        return img;
    }

    private interface Pixel {
        int rgb(int y, int x);
    }

    private interface ToCrop {
        double[] at(int y, int x);
    }

    /** Draws {@code pixel} blended with the upsampled {@code grid} (where {@code toCrop} falls in the crop) at (px, py). */
    private static void overlay(BufferedImage img, int px, int py, int height, int width, Explanation.Grid grid, int crop,
                                Pixel pixel, ToCrop toCrop) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float v : grid.values()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double span = hi > lo ? hi - lo : 1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = pixel.rgb(y, x);
                double[] c = toCrop.at(y, x);
                int out;
                if (c[0] >= -0.5 && c[0] < crop - 0.5 && c[1] >= -0.5 && c[1] < crop - 0.5) {
                    int heat = colour((sample(grid, crop, c[0], c[1]) - lo) / span);
                    out = blend(rgb, heat, 0.55);
                } else {
                    out = blend(rgb, 0x000000, 0.5); // outside the crop: the model never saw it
                }
                img.setRGB(px + x, py + y, out);
            }
        }
    }

    private static int blend(int a, int b, double t) {
        int out = 0;
        for (int s = 16; s >= 0; s -= 8) {
            int ca = a >> s & 0xFF, cb = b >> s & 0xFF;
            out |= (int) Math.round(ca + t * (cb - ca)) << s;
        }
        return out;
    }

    private static void header(Graphics2D g, Part part, int y0) {
        Explanation e = part.explanation();
        Explanation.Split s = e.split();
        text(g, String.format(Locale.ROOT, "%s: logit %.3f = image %.3f + text %.3f + bias %.3f", part.className(),
                e.logit(), s.image(), s.text(), s.bias()), GAP, y0 + 17, 13);
        if (e.runnerUp() >= 0) {
            Explanation.Split m = e.margin();
            text(g, String.format(Locale.ROOT, "decided by the %s: margin %.3f %s %s = image %.3f + text %.3f + bias %.3f",
                    e.decidedBy(), m.total(), m.total() >= 0 ? "over" : "behind", part.runnerUpName(), m.image(), m.text(),
                    m.bias()), GAP, y0 + 35, 11);
        }
    }

    /** The words as signed bars around a zero line: attribution (integrated gradients), leave-one-out as a number. */
    private static void bars(Graphics2D g, Explanation e, List<String> words, int y0) {
        if (words.isEmpty()) {
            return;
        }
        text(g, String.format(Locale.ROOT, "words: integrated gradients (%d steps, completeness gap %.2f %%), leave-one-out",
                e.steps(), 100 * e.completeness()), GAP, y0 + 12, 11);
        float max = 1e-12f;
        for (float a : e.attributions()) {
            max = Math.max(max, Math.abs(a));
        }
        int zero = GAP + WORD + BAR;
        for (int t = 0; t < words.size(); t++) {
            int y = y0 + ROW * (t + 1);
            float a = e.attributions()[t];
            int len = Math.round(BAR * Math.abs(a) / max);
            g.setColor(a >= 0 ? new Color(33, 145, 80) : new Color(200, 50, 50));
            g.fillRect(a >= 0 ? zero : zero - len, y + 3, Math.max(1, len), ROW - 6);
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawLine(zero, y, zero, y + ROW);
            String word = words.get(t).length() > 14 ? words.get(t).substring(0, 13) + "…" : words.get(t);
            text(g, word, GAP, y + 13, 12);
            text(g, String.format(Locale.ROOT, "%+.3f  loo %+.3f", a, e.leaveOneOut()[t]), zero + BAR + 8, y + 13, 11);
        }
    }

    /** Draws a line of text; a JVM without fonts draws the picture without its labels. */
    private static void text(Graphics2D g, String s, int x, int y, int size) {
        try {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
            g.drawString(s, x, y);
        } catch (RuntimeException | LinkageError | InternalError e) {
            // no font configuration (a bare container): the maps and bars still say everything
        }
    }

    /** Writes {@code img} as PNG. */
    static void write(BufferedImage img, Path file) throws IOException {
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM (javax.imageio)");
        }
    }
}
