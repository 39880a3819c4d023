package vecnet.multimodal.demo;

import java.util.List;
import vecnet.multimodal.ImageRgb;

/**
 * The demo's synthetic task, the Java twin of {@code weights/python/train_demo.py}: a 256×256 RGB
 * picture of one coloured shape and a question asking either for its colour or for its shape.
 *
 * <pre>
 *   shape  ∈ {circle, square, triangle, star}      colour ∈ {red, green, blue, yellow}
 *   size   circumradius r ∈ [26, 60) pixels        position: the whole shape inside the centre 224×224 crop
 *   rotation (c, s) uniform on the circle          background: gray 70..170; colour jitter ±20 per channel
 *   noise  ±24 per pixel and channel               label = the answer: colours 0..3, shapes 4..7
 * </pre>
 *
 * <p><b>Bit for bit the same as Python.</b> Sample {@code (seed, index)} is drawn from its own SplitMix64
 * stream ({@code state = mix64(mix64(seed) + index)}), in the same order as the Python script; the
 * geometry uses only IEEE {@code + - * /} and {@code sqrt} on doubles, in the same order (no
 * {@code sin}/{@code cos}: the rotation is a normalized random point of the unit disc; the star's
 * angles are decimal constants), and a pixel is inside a shape when its centre
 * {@code (x + 0.5, y + 0.5)} is. So the picture, the question and the label are identical in both
 * languages, which a test checks on the samples the Python script bundled.
 *
 * <p>Pictures are 256×256 so that the seed's {@code Resize(256)} leaves them untouched and
 * {@code CenterCrop(224)} keeps {@code [16, 240)}: preprocessing is exact in both languages.
 *
 * <p>Immutable and thread-safe; every sample is a pure function of {@code (seed, index)}.
 */
public final class ShapesDataset {
    /** Picture side in pixels. */
    public static final int SIZE = 256;
    /** The 8 answers in class order: the colours, then the shapes. */
    public static final List<String> LABELS = List.of("red", "green", "blue", "yellow", "circle", "square", "triangle", "star");
    public static final List<String> SHAPES = LABELS.subList(4, 8);
    public static final List<String> COLOURS = LABELS.subList(0, 4);
    /** Paraphrases of "what colour is it?". */
    public static final List<String> COLOUR_QUESTIONS = List.of(
            "what colour is the shape",
            "what color is it",
            "which colour is this object",
            "tell me the colour of the shape in the picture",
            "what is the color of the object",
            "name its colour");
    /** Paraphrases of "what shape is it?". */
    public static final List<String> SHAPE_QUESTIONS = List.of(
            "what shape is it",
            "which shape is in the picture",
            "what is the shape of the object",
            "tell me the form of the thing",
            "name the shape you see",
            "what kind of shape is this");

    private static final int CROP = 16;
    private static final int INNER = 224;
    private static final int[][] RGB = {{220, 40, 40}, {40, 190, 60}, {40, 70, 220}, {230, 210, 40}};
    private static final double MIN_R = 26.0, SPAN_R = 34.0;
    private static final int NOISE = 24;
    private static final int JITTER = 20;
    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double SQRT3_2 = 0.8660254037844386;
    private static final double STAR_INNER = 0.45;
    private static final double A = 0.5877852522924731, B = 0.9510565162951535; // cos 54°, cos 18°
    private static final double C = 0.8090169943749475, D = 0.3090169943749474; // sin 54°, sin 18°
    /** cos and sin of k·36° − 90°, k = 0..9: even k the outer points of the star, odd k the inner ones. */
    private static final double[] STAR_COS = {0.0, A, B, B, A, 0.0, -A, -B, -B, -A};
    private static final double[] STAR_SIN = {-1.0, -C, -D, D, C, 1.0, C, D, -D, -C};

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final int TABLE_BITS = 20;
    private static final long NOISE_KEY = 0x5EED0F0015EL;

    /** One picture with its question and answer. */
    public record Sample(ImageRgb image, String question, int label, int shape, int colour, boolean asksColour) {
        /** The answer as a word, e.g. {@code "red"} or {@code "star"}. */
        public String answer() {
            return LABELS.get(label);
        }
    }

    private final long seed;

    /** The data set {@code seed} (the Python script trains on seed 1 and measures on seed 2). */
    public ShapesDataset(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** The question of sample {@code index} and its label, without drawing the picture (the stream's first draws). */
    public record Question(String text, int label) {
    }

    /** {@link #sample}{@code (index)}'s question and label, cheaply. */
    public Question question(long index) {
        SplitMix64 rng = new SplitMix64(mix64(mix64(seed) + index));
        int shape = rng.nextInt(4);
        int colour = rng.nextInt(4);
        boolean asksColour = rng.nextInt(2) == 0;
        List<String> questions = asksColour ? COLOUR_QUESTIONS : SHAPE_QUESTIONS;
        return new Question(questions.get(rng.nextInt(questions.size())), asksColour ? colour : 4 + shape);
    }

    /** Sample {@code index} of this data set: the same picture, question and label as Python's {@code sample(seed, index)}. */
    public Sample sample(long index) {
        return draw(index, null);
    }

    /**
     * Where the shape of sample {@code index} is: {@code mask[y·256 + x]} is true when pixel (y, x) of
     * the 256×256 picture belongs to the shape (the pixels drawn in its colour, before noise).
     */
    public boolean[] mask(long index) {
        boolean[] mask = new boolean[SIZE * SIZE];
        draw(index, mask);
        return mask;
    }

    /** Draws sample {@code index}; when {@code mask} is not null, marks the shape's pixels in it. */
    private Sample draw(long index, boolean[] mask) {
        SplitMix64 rng = new SplitMix64(mix64(mix64(seed) + index));
        int shape = rng.nextInt(4);
        int colour = rng.nextInt(4);
        boolean asksColour = rng.nextInt(2) == 0;
        List<String> questions = asksColour ? COLOUR_QUESTIONS : SHAPE_QUESTIONS;
        String question = questions.get(rng.nextInt(questions.size()));
        double r = MIN_R + rng.nextDouble() * SPAN_R;
        double cx = CROP + r + rng.nextDouble() * (INNER - 2 * r);
        double cy = CROP + r + rng.nextDouble() * (INNER - 2 * r);
        double u, v, q;
        do { // a uniform rotation (c, s) without trigonometry
            u = 2 * rng.nextDouble() - 1;
            v = 2 * rng.nextDouble() - 1;
            q = u * u + v * v;
        } while (!(0.01 < q && q <= 1.0));
        double norm = Math.sqrt(q);
        double c = u / norm, s = v / norm;
        int gray = 70 + rng.nextInt(101);
        int[] fg = new int[3];
        for (int ch = 0; ch < 3; ch++) {
            fg[ch] = RGB[colour][ch] + rng.nextInt(2 * JITTER + 1) - JITTER;
        }
        int offset = rng.nextInt(1 << TABLE_BITS);

        double[] vx, vy;
        if (shape == 2) {
            vx = new double[] {0.0, r * SQRT3_2, -(r * SQRT3_2)};
            vy = new double[] {-r, r * 0.5, r * 0.5};
        } else if (shape == 3) {
            vx = new double[10];
            vy = new double[10];
            for (int k = 0; k < 10; k++) {
                double radius = k % 2 == 0 ? r : r * STAR_INNER;
                vx[k] = STAR_COS[k] * radius;
                vy[k] = STAR_SIN[k] * radius;
            }
        } else {
            vx = vy = null;
        }
        // only pixels near the shape can be inside it (circumradius r), as in Python
        int x0 = Math.max(0, (int) (cx - r) - 1), x1 = Math.min(SIZE, (int) (cx + r) + 2);
        int y0 = Math.max(0, (int) (cy - r) - 1), y1 = Math.min(SIZE, (int) (cy + r) + 2);
        int[] table = NoiseTable.VALUES;
        byte[] rgb = new byte[SIZE * SIZE * 3];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean in = false;
                if (y >= y0 && y < y1 && x >= x0 && x < x1) {
                    double dx = (x + 0.5) - cx, dy = (y + 0.5) - cy;
                    double lx = c * dx + s * dy, ly = c * dy - s * dx;
                    in = inside(shape, lx, ly, r, vx, vy);
                }
                if (mask != null) {
                    mask[y * SIZE + x] = in;
                }
                int p = (y * SIZE + x) * 3;
                for (int ch = 0; ch < 3; ch++) {
                    int value = (in ? fg[ch] : gray) + table[(offset + p + ch) & ((1 << TABLE_BITS) - 1)];
                    rgb[p + ch] = (byte) Math.max(0, Math.min(255, value));
                }
            }
        }
        int label = asksColour ? colour : 4 + shape;
        return new Sample(ImageRgb.of(SIZE, SIZE, rgb), question, label, shape, colour, asksColour);
    }

    /** Is the point {@code (lx, ly)} (shape coordinates) inside the shape of circumradius {@code r}. */
    private static boolean inside(int shape, double lx, double ly, double r, double[] vx, double[] vy) {
        if (shape == 0) {
            return lx * lx + ly * ly <= r * r;
        }
        if (shape == 1) {
            double a = r * SQRT_HALF;
            return Math.abs(lx) <= a && Math.abs(ly) <= a;
        }
        boolean odd = false; // crossing number (even-odd rule), edges (v[k], v[k+1])
        int n = vx.length;
        for (int k = 0; k < n; k++) {
            double xa = vx[k], ya = vy[k], xb = vx[(k + 1) % n], yb = vy[(k + 1) % n];
            if (ya == yb) {
                continue;
            }
            boolean crosses = (ya > ly) != (yb > ly);
            double xc = (xb - xa) * (ly - ya) / (yb - ya) + xa;
            if (crosses && lx < xc) {
                odd = !odd;
            }
        }
        return odd;
    }

    /** SplitMix64's output function (Steele, Lea, Flood 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** SplitMix64: {@code state += golden gamma; return mix64(state)}, as the Python script. */
    static final class SplitMix64 {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        long next64() {
            state += GOLDEN;
            return mix64(state);
        }

        /** Uniform in [0, 1) with 53 random bits. */
        double nextDouble() {
            return (next64() >>> 11) * 0x1.0p-53;
        }

        /** {@code floor(nextDouble() · n)}. */
        int nextInt(int n) {
            return (int) (nextDouble() * n);
        }
    }

    /**
     * 2^20 noise values in [−24, 24]: {@code t[j] = ((mix64(NOISE_KEY + (j+1)·golden) >>> 43) · 49) >>> 21 − 24}.
     * A picture adds {@code t[(offset + (y·256 + x)·3 + ch) mod 2^20]} to channel {@code ch} of pixel (y, x).
     */
    private static final class NoiseTable {
        static final int[] VALUES = new int[1 << TABLE_BITS];

        static {
            for (int j = 0; j < VALUES.length; j++) {
                long f = mix64(NOISE_KEY + (j + 1L) * GOLDEN) >>> 43;
                VALUES[j] = (int) ((f * (2 * NOISE + 1)) >>> 21) - NOISE;
            }
        }
    }
}
