package vecnet.multimodal.internal;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import vecnet.engine.Tensor;
import vecnet.multimodal.Explainer;
import vecnet.multimodal.Explanation;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;

/**
 * Do the demo model's explanations point at the right thing? On fresh {@link ShapesDataset}
 * pictures, each explained for the predicted class:
 *
 * <ul>
 *   <li><b>CAM</b>: the highest cell of the 7×7 grid covers 32×32 pixels of the 224×224 crop; it
 *       <em>touches</em> the shape when that block, grown by one pixel on each side, holds a pixel
 *       of the shape's mask ({@link ShapesDataset#mask}), and lies <em>inside</em> when the block
 *       itself does.</li>
 *   <li><b>Words</b>: the word with the largest integrated-gradients attribution (and, beside it,
 *       the largest leave-one-out change), counted for colour and for shape questions.</li>
 * </ul>
 */
public final class PointingCheck {
    /** The measured rates and the top words (word -> how many questions it topped). */
    public record Result(int samples, int correct, int camTouches, int camInside, int colourQuestions, int colourWordTop,
                         int colourWordTopLeaveOneOut, Map<String, Integer> colourTopWords,
                         Map<String, Integer> shapeTopWords) {
        public double camRate() {
            return camTouches / (double) samples;
        }

        public double colourWordRate() {
            return colourQuestions == 0 ? 0 : colourWordTop / (double) colourQuestions;
        }
    }

    private PointingCheck() {
    }

    /** Explains samples {@code 0 .. n−1} of {@code data} with {@code demo}'s model. */
    public static Result measure(DemoModel demo, ShapesDataset data, int n) {
        Objects.requireNonNull(demo, "demo");
        int crop = demo.preprocessor().cropSize(), offset = (ShapesDataset.SIZE - crop) / 2;
        Explainer explainer = Explainer.of(demo.model());
        int correct = 0, touches = 0, inside = 0, colourQ = 0, colourTop = 0, colourTopLoo = 0;
        Map<String, Integer> colourWords = new TreeMap<>(), shapeWords = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            ShapesDataset.Sample s = data.sample(i);
            boolean[] mask = data.mask(i);
            Tensor image = demo.preprocessor().preprocess(s.image());
            int[] ids = demo.tokenizer().encode(s.question());
            int predicted = argmax(demo.model().predict(image, new int[][] {ids}).data());
            correct += predicted == s.label() ? 1 : 0;
            Explanation e = explainer.explain(image, ids, predicted);
            int[] cell = e.cam().argmax();
            int cellSize = crop / e.cam().height();
            int y0 = offset + cellSize * cell[0], x0 = offset + cellSize * cell[1];
            boolean touch = false, in = false;
            for (int y = y0 - 1; y <= y0 + cellSize; y++) {
                for (int x = x0 - 1; x <= x0 + cellSize; x++) {
                    if (y >= 0 && x >= 0 && y < ShapesDataset.SIZE && x < ShapesDataset.SIZE && mask[y * ShapesDataset.SIZE + x]) {
                        touch = true;
                        in |= y >= y0 && y < y0 + cellSize && x >= x0 && x < x0 + cellSize;
                    }
                }
            }
            touches += touch ? 1 : 0;
            inside += in ? 1 : 0;
            var words = Tokenizer.words(s.question());
            String top = words.get(e.topToken());
            String topLoo = words.get(argmax(e.leaveOneOut()));
            if (s.asksColour()) {
                colourQ++;
                colourTop += isColourWord(top) ? 1 : 0;
                colourTopLoo += isColourWord(topLoo) ? 1 : 0;
                colourWords.merge(top, 1, Integer::sum);
            } else {
                shapeWords.merge(top, 1, Integer::sum);
            }
        }
        return new Result(n, correct, touches, inside, colourQ, colourTop, colourTopLoo, colourWords, shapeWords);
    }

    private static boolean isColourWord(String w) {
        return w.equals("colour") || w.equals("color");
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
