package vecnet.multimodal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Embedding;
import vecnet.layers.LSTM;
import vecnet.weights.StateDict;

/**
 * The text branch of the fusion model: token ids -> {@code Embedding} -> {@code LSTM} -> the output
 * at the last step.
 *
 * <pre>
 *   ids (N, T_n) -> embedding (N, T, E) -> lstm output (N, T, D·H) -> text features (N, D·H)
 *   features[n] = lstm_out[n, T_n − 1, :]          (= h_n for a one-layer unidirectional LSTM)
 * </pre>
 *
 * <p><b>Texts of different lengths in one batch.</b> Each sample uses only its own {@code T_n} tokens and
 * its own last real step, so its result equals running it alone (PyTorch's packed-sequence
 * semantics). A plain padded PyTorch batch would instead run padding tokens and take the last
 * padded step; for texts of equal length the two agree. An empty text is refused, as PyTorch's
 * LSTM refuses a sequence of length 0.
 *
 * <p>Keys: {@code embedding.weight} {@code [vocab, E]} and {@code lstm.weight_ih_l0}, {@code weight_hh_l0},
 * {@code bias_ih_l0}, {@code bias_hh_l0} (see {@link LSTM}): the seed's one-layer unidirectional LSTM;
 * the sizes are read from the weights.
 */
public final class TextEncoder implements HasStateDict {
    public final Embedding embedding;
    public final LSTM lstm;

    private TextEncoder(Embedding embedding, LSTM lstm) {
        this.embedding = embedding;
        this.lstm = lstm;
    }

    public static TextEncoder fromStateDict(StateDict sd) {
        return fromStateDict(sd, Kernels.get());
    }

    /**
     * Builds the seed's text branch, {@code Embedding(V, E)} then a one-layer unidirectional
     * {@code LSTM(E, H)} with biases, and loads it (other keys of {@code sd} are ignored).
     *
     * <p>The architecture is fixed; {@code V} and {@code E} come from {@code embedding.weight} and
     * {@code H} from the LSTM keys, by majority among {@code weight_ih_l0} ({@code 4H} rows),
     * {@code weight_hh_l0} ({@code [4H, H]}) and the two biases ({@code 4H}), so that one mis-shaped key is
     * blamed alone. Every key is checked with its shape before anything is allocated: a missing
     * bias is reported missing, an extra layer or direction unexpected
     * ({@link vecnet.weights.StateDictMismatchException}).
     */
    public static TextEncoder fromStateDict(StateDict sd, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        int[] emb = sd.contains("embedding.weight") ? sd.shape("embedding.weight") : new int[0];
        int vocab = emb.length == 2 ? emb[0] : 1, e = emb.length == 2 ? emb[1] : 1;
        int h = hiddenSize(sd);
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("embedding.weight", new int[] {vocab, e});
        sd.requireShapes("Embedding", "embedding.", expected);
        expected.clear();
        expected.put("lstm.weight_ih_l0", new int[] {4 * h, e});
        expected.put("lstm.weight_hh_l0", new int[] {4 * h, h});
        expected.put("lstm.bias_ih_l0", new int[] {4 * h});
        expected.put("lstm.bias_hh_l0", new int[] {4 * h});
        sd.requireShapes("LSTM", "lstm.", expected);
        Embedding embedding = new Embedding(vocab, e);
        LSTM lstm = new LSTM(kernels, e, h, 1, true, true, false);
        sd.loadInto(embedding, "embedding.");
        sd.loadInto(lstm, "lstm.");
        return new TextEncoder(embedding, lstm);
    }

    /** The LSTM's hidden size most of its four keys agree on (1 when none gives one). */
    private static int hiddenSize(StateDict sd) {
        Map<Integer, Integer> votes = new LinkedHashMap<>();
        for (String k : new String[] {"lstm.weight_hh_l0", "lstm.weight_ih_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0"}) {
            if (!sd.contains(k)) {
                continue;
            }
            int[] shape = sd.shape(k);
            if (shape.length >= 1 && shape[0] > 0 && shape[0] % 4 == 0) {
                votes.merge(shape[0] / 4, 1, Integer::sum);
            }
            if (k.equals("lstm.weight_hh_l0") && shape.length == 2 && shape[1] > 0) {
                votes.merge(shape[1], 1, Integer::sum);
            }
        }
        int best = 1, most = 0;
        for (Map.Entry<Integer, Integer> v : votes.entrySet()) {
            if (v.getValue() > most) {
                best = v.getKey();
                most = v.getValue();
            }
        }
        return best;
    }

    /** The width of the text features: the LSTM's hidden size times its directions. */
    public int featureSize() {
        return lstm.outputSize();
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        BasicBlock.put(m, "embedding.", embedding);
        BasicBlock.put(m, "lstm.", lstm);
        return m;
    }

    /**
     * Runs embedding and LSTM over a batch of texts padded to the longest (padding never enters the
     * computation; output rows past a text's length are zero).
     *
     * @param tokenIds {@code N} non-empty id arrays, ids in {@code [0, vocab)}
     * @return the LSTM's output {@code (N, T_max, D·H)}, {@code h_n} and {@code c_n}
     */
    public LSTM.Result run(int[][] tokenIds, ComputePool pool) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("no texts");
        }
        int n = tokenIds.length, t = 0;
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = tokenIds[i].length;
            if (lengths[i] == 0) {
                throw new IllegalArgumentException("text " + i + " has no tokens: an LSTM needs a sequence length"
                        + " larger than 0");
            }
            t = Math.max(t, lengths[i]);
        }
        int[] padded = new int[n * t];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tokenIds[i], 0, padded, i * t, lengths[i]);
        }
        Tensor embedded = embedding.forward(padded, n, t);
        return lstm.forward(embedded, lengths, pool);
    }

    /** Text features {@code (N, D·H)}: each text's LSTM output at its own last token. */
    public Tensor encode(int[][] tokenIds, ComputePool pool) {
        LSTM.Result r = run(tokenIds, pool);
        int n = tokenIds.length, t = r.output().dim(1), w = featureSize();
        Tensor out = Tensor.zeros(n, w);
        for (int i = 0; i < n; i++) {
            System.arraycopy(r.output().data(), (i * t + tokenIds[i].length - 1) * w, out.data(), i * w, w);
        }
        return out;
    }
}
