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
 * <p>Keys: {@code embedding.weight} {@code [vocab, E]} and {@code lstm.*} (see {@link LSTM}); the
 * sizes, number of layers and directions are read from the weights.
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
     * Builds the branch from {@code embedding.weight} and {@code lstm.*} (other keys are ignored;
     * the embedding and LSTM keys are loaded strictly).
     */
    public static TextEncoder fromStateDict(StateDict sd, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        int[] emb = sd.shape("embedding.weight");
        int[] wih = sd.shape("lstm.weight_ih_l0"), whh = sd.shape("lstm.weight_hh_l0");
        if (emb.length != 2 || wih.length != 2 || whh.length != 2) {
            throw new IllegalArgumentException("embedding.weight, lstm.weight_ih_l0 and lstm.weight_hh_l0 must be"
                    + " matrices, got " + Arrays.toString(emb) + ", " + Arrays.toString(wih) + ", " + Arrays.toString(whh));
        }
        int layers = 0;
        while (sd.contains("lstm.weight_ih_l" + layers)) {
            layers++;
        }
        boolean bidirectional = sd.contains("lstm.weight_ih_l0_reverse");
        boolean bias = sd.contains("lstm.bias_ih_l0");
        Embedding embedding = new Embedding(emb[0], emb[1]);
        LSTM lstm = new LSTM(kernels, wih[1], whh[1], layers, bias, true, bidirectional);
        if (wih[1] != emb[1]) {
            throw new IllegalArgumentException("the LSTM reads " + wih[1] + " features (lstm.weight_ih_l0 "
                    + Arrays.toString(wih) + ") but the embedding gives " + emb[1]);
        }
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
        int n = tokenIds.length;
        int[] lengths = lengths(tokenIds);
        int t = Arrays.stream(lengths).max().orElseThrow();
        int[] padded = padded(tokenIds, t);
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
