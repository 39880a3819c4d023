package vecnet.multimodal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Embedding;
import vecnet.layers.Gradients;
import vecnet.layers.LSTM;
import vecnet.layers.Traced;
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
 *
 * <p><b>The embedding's rows projected once.</b> Each token's step starts with the LSTM's input
 * projection {@code W_ih·e + b_ih} of its embedding row {@code e}: {@code 4H × E} multiply-adds,
 * about a fifth of the branch's time at one thread. Once the branch has run as many tokens as the
 * vocabulary has rows (since it was made or its weights last changed), it projects every row at
 * once ({@link LSTM#projectRows}: what those tokens cost again; the call that does it takes that much
 * longer, about 40 ms on one core for the seed's sizes) and from then on reads each token's
 * projection from that table: the same bits, for {@code vocab × 4H} floats of memory (39 MiB for the
 * seed's 10,000 × 1,024). A process that runs a few texts never pays for it. The table is made only
 * if it fits in {@code -Dvecnet.text.projectedRowsMB} MiB (default 64; 0 turns it off).
 */
public final class TextEncoder implements HasStateDict {
    // Not public: the weights reach users only through namedTensors() and weightsChanged().
    final Embedding embedding;
    final LSTM lstm;

    /** The largest table of projected rows a branch makes, in bytes: {@code -Dvecnet.text.projectedRowsMB}. */
    private static final long PROJECTED_ROWS_LIMIT = Math.max(0, Long.getLong("vecnet.text.projectedRowsMB", 64)) << 20;
    /** The embedding's rows projected by the LSTM, once worth it; null before, and after the weights change. */
    private volatile LSTM.InputProjections projected;
    /** Tokens run since the branch was made or its weights changed, towards making {@link #projected}. */
    private final AtomicLong tokensRun = new AtomicLong();
    /** Whether a caller is making {@link #projected}; guarded by {@link #tokensRun}. */
    private boolean projecting;

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

    /** A one-layer unidirectional branch with biases, every weight zero (see {@link FusionModel#untrained}). */
    static TextEncoder untrained(Kernels kernels, int vocabulary, int embeddingDim, int hidden) {
        return new TextEncoder(new Embedding(vocabulary, embeddingDim),
                new LSTM(kernels, embeddingDim, hidden, 1, true, true, false));
    }

    /**
     * Runs the branch on a few short texts until the LSTM step (its recurrent matrix-vector
     * product, the gates' sigmoid and tanh) and the input projection are most likely compiled by
     * the JIT; see {@link ResNet18#warmUp()}. Thread-safe, never prints.
     */
    void warmUp(ComputePool pool) {
        int[][] texts = new int[2][WARM_UP_TOKENS];
        for (int i = 0; i < WARM_UP_TOKENS; i++) {
            texts[0][i] = i % embedding.numEmbeddings();
            texts[1][i] = (7 * i + 3) % embedding.numEmbeddings();
        }
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            encode(texts, pool);
        }
    }

    /** Tokens per text in {@link #warmUp}: each call runs this many LSTM steps per text. */
    private static final int WARM_UP_TOKENS = 16;
    /** Calls {@link #warmUp} makes (2 texts each, so 32 steps a call). */
    private static final int WARM_UP_CALLS = 24;

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

    /** The rows of {@code embedding.weight}: token ids must be below it. */
    public int vocabularyRows() {
        return embedding.weight.dim(0);
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
     * Refreshes the LSTM's packed weights and drops the projected embedding rows after a change
     * through {@link #namedTensors()}; see {@link HasStateDict}.
     */
    @Override
    public void weightsChanged() {
        synchronized (tokensRun) {
            projected = null;
            tokensRun.set(0);
        }
        lstm.weightsChanged();
    }

    /** Whether the embedding's rows are projected now (tests). */
    boolean projectsRows() {
        LSTM.InputProjections p = projected;
        return p != null && p.currentFor(lstm);
    }

    /**
     * The projected embedding rows if they exist, or once {@code tokens} more bring the count since
     * the last change to the vocabulary's size (then made here, on {@code pool}, while other callers
     * go on without them); else null.
     */
    private LSTM.InputProjections projected(int tokens, ComputePool pool) {
        LSTM.InputProjections p = projected;
        if (p != null && p.currentFor(lstm)) {
            return p;
        }
        int rows = embedding.numEmbeddings();
        if (16L * rows * lstm.hiddenSize() * (lstm.bidirectional() ? 2 : 1) > PROJECTED_ROWS_LIMIT) {
            return null;
        }
        synchronized (tokensRun) {
            if (projected != null && projected.currentFor(lstm)) { // made meanwhile by another caller
                return projected;
            }
            if (projected != null) { // made before the LSTM's weights changed (through it, not through this)
                projected = null;
                tokensRun.set(0);
            }
            if (projecting || tokensRun.addAndGet(tokens) < rows) {
                return null;
            }
            projecting = true;
        }
        try {
            p = lstm.projectRows(embedding.weight, pool);
            synchronized (tokensRun) {
                if (!p.currentFor(lstm)) { // the weights changed meanwhile: count again
                    return null;
                }
                projected = p;
                return p;
            }
        } finally {
            synchronized (tokensRun) {
                projecting = false;
            }
        }
    }

    /**
     * Runs embedding and LSTM over a batch of texts padded to the longest (padding never enters the
     * computation; output rows past a text's length are zero).
     *
     * @param tokenIds {@code N} non-empty id arrays, ids in {@code [0, vocab)}
     * @return the LSTM's output {@code (N, T_max, D·H)}, {@code h_n} and {@code c_n}
     */
    public LSTM.Result run(int[][] tokenIds, ComputePool pool) {
        int n = tokenIds.length;
        int[] lengths = lengths(tokenIds);
        int t = Arrays.stream(lengths).max().orElseThrow();
        int[] padded = padded(tokenIds, t);
        LSTM.InputProjections rows = projected(Arrays.stream(lengths).sum(), pool);
        if (rows != null) {
            embedding.checkIds(padded);
            return lstm.forward(rows, padded, n, t, lengths, pool);
        }
        Tensor embedded = embedding.forward(padded, n, t);
        return lstm.forward(embedded, lengths, pool);
    }

    /** Text features {@code (N, D·H)}: each text's LSTM output at its own last token. */
    public Tensor encode(int[][] tokenIds, ComputePool pool) {
        return lastSteps(run(tokenIds, pool).output(), lengths(tokenIds));
    }

    /**
     * {@link #encode} kept for training: the same features, bit for bit. Its backward takes the
     * gradient of the features {@code (N, D·H)}, puts each row at its text's last real step,
     * back-propagates through the LSTM (all of its configurations, each text over its own length)
     * and the embedding (a dense gradient; see {@link Embedding}), and returns the gradient with
     * respect to the embedded sequence {@code (N, T_max, E)} (zero past each text's length), which
     * explanations of a prediction use.
     */
    public Traced trace(int[][] tokenIds, ComputePool pool) {
        int n = tokenIds.length;
        int[] lengths = lengths(tokenIds);
        int t = Arrays.stream(lengths).max().orElseThrow();
        int[] padded = padded(tokenIds, t);
        Traced emb = embedding.trace(padded, n, t);
        LSTM.Trace rnn = lstm.trace(emb.output(), lengths, pool);
        int w = featureSize();
        Tensor features = lastSteps(rnn.output(), lengths);
        return new Traced() {
            @Override
            public Tensor output() {
                return features;
            }

            @Override
            public Tensor backward(Tensor dFeatures, Gradients grads, ComputePool p) {
                dFeatures.requireShape("text feature gradient", n, w);
                Tensor dOut = Tensor.zeros(n, t, w);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(dFeatures.data(), i * w, dOut.data(), (i * t + lengths[i] - 1) * w, w);
                }
                Tensor dEmbedded = rnn.backward(dOut, grads, p);
                emb.backward(dEmbedded, grads, p);
                return dEmbedded;
            }
        };
    }

    /** The texts as one {@code (N, t)} row-major array, each padded with id 0 (never read: each text runs over its own length). */
    private static int[] padded(int[][] tokenIds, int t) {
        int[] padded = new int[tokenIds.length * t];
        for (int i = 0; i < tokenIds.length; i++) {
            System.arraycopy(tokenIds[i], 0, padded, i * t, tokenIds[i].length);
        }
        return padded;
    }

    private static int[] lengths(int[][] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("no texts");
        }
        int[] lengths = new int[tokenIds.length];
        for (int i = 0; i < tokenIds.length; i++) {
            lengths[i] = tokenIds[i].length;
            if (lengths[i] == 0) {
                throw new IllegalArgumentException("text " + i + " has no tokens: an LSTM needs a sequence length"
                        + " larger than 0");
            }
        }
        return lengths;
    }

    /** {@code out[i] = seq[i, lengths[i] − 1, :]}: each text's output at its own last token. */
    private Tensor lastSteps(Tensor seq, int[] lengths) {
        int n = lengths.length, t = seq.dim(1), w = featureSize();
        Tensor out = Tensor.zeros(n, w);
        for (int i = 0; i < n; i++) {
            System.arraycopy(seq.data(), (i * t + lengths[i] - 1) * w, out.data(), i * w, w);
        }
        return out;
    }
}
