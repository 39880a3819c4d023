package vecnet.layers;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * A long short-term memory network, PyTorch's {@code nn.LSTM} in eval mode (no dropout, no projection).
 *
 * <p>For each layer {@code l}, direction and time step, with {@code h_0 = c_0 = 0}:
 * <pre>
 *   gates = (W_hh·h_{t−1} + b_hh) + (W_ih·x_t + b_ih)          (4H values, blocks in the order i, f, g, o)
 *   i = σ(gates[0:H])   f = σ(gates[H:2H])   g = tanh(gates[2H:3H])   o = σ(gates[3H:4H])
 *   c_t = f ⊙ c_{t−1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 * </pre>
 * summed in that order, as PyTorch's CPU kernel does ({@code addmm(b_hh, h, W_hhᵀ) + addmm(b_ih, x, W_ihᵀ)}).
 * {@code W_ih·x_t + b_ih} is computed for all steps at once with one GEMM; each step is then one
 * GEMV whose epilogue adds {@code b_hh} and the precomputed row.
 *
 * <p>Shapes: input {@code (N, T, input_size)} when {@code batch_first}, else {@code (T, N, input_size)};
 * output {@code (N, T, D·H)} (or {@code (T, N, D·H)}), with the forward direction's {@code h_t} in
 * {@code [0, H)} and the reverse direction's in {@code [H, 2H)}; {@code h_n} and {@code c_n}
 * {@code (num_layers·D, N, H)}, index {@code layer·D + direction}. Layer {@code l > 0} reads the
 * output of layer {@code l−1} ({@code D·H} features). The reverse direction runs from the last step
 * of each sequence to the first.
 *
 * <p>Parameters (state_dict order): for each layer {@code k} and direction suffix {@code ""} or
 * {@code "_reverse"}: {@code weight_ih_l<k><suffix>} {@code [4H, in_k]},
 * {@code weight_hh_l<k><suffix>} {@code [4H, H]}, {@code bias_ih_l<k><suffix>} {@code [4H]},
 * {@code bias_hh_l<k><suffix>} {@code [4H]}. Layer 0's forward tensors are also public fields.
 *
 * <p><b>Sequences of different lengths.</b> With {@code lengths}, sample {@code n} uses only its
 * first {@code lengths[n]} steps, exactly as if it were run alone (as with PyTorch's packed
 * sequences): {@code h_n} is the state after its own last real step, the reverse direction starts
 * at that step, and output positions at or past {@code lengths[n]} are zero. Without lengths every
 * sample uses all {@code T} steps, like a plain padded PyTorch batch.
 *
 * <p><b>A lookup table's rows projected once.</b> When layer 0's inputs are rows of a fixed table
 * (an embedding's), {@link #projectRows} computes {@code W_ih·e + b_ih} for every row {@code e} once,
 * and {@link #forward(InputProjections, int[], int, int, int[], ComputePool)} then reads each step's
 * projection from there instead of multiplying: the same bits (each element is the same chain of
 * FMAs over the same row and weights, whatever the batch), for a table of {@code rows × 4H·D} floats.
 *
 * <p><b>Training.</b> {@link #trace} runs the same forward (bit for bit) and keeps what
 * backpropagation through time needs; {@link Trace#backward} gives every parameter's gradient and
 * the input sequence's, for every configuration above (see {@link Trace}). After an optimizer changes
 * the weights, call {@link #weightsChanged()} once.
 */
public final class LSTM implements HasStateDict {
    /** {@code [4H, input_size]}, layer 0, forward direction. */
    public final Tensor weight_ih_l0;
    /** {@code [4H, H]}. */
    public final Tensor weight_hh_l0;
    /** {@code [4H]}, or null without bias. */
    public final Tensor bias_ih_l0;
    /** {@code [4H]}, or null without bias. */
    public final Tensor bias_hh_l0;

    private final int inputSize, hidden, numLayers, dirs;
    private final boolean batchFirst;
    private final Kernels kernels;
    private final Map<String, Tensor> params;
    // [layer][direction]
    private final Tensor[][] wIh, wHh, bIh, bHh;
    /** W_ih and W_hh of each layer and direction, packed once: for the input projection and the steps. */
    private final PackedWeight[][] packedIh, packedHh;
    /** Each layer's forward weights cut for {@link #runTogether}, or null until needed; guarded by {@code this}. */
    private final Split[] splits;
    /** Incremented by {@link #weightsChanged()}: {@link InputProjections} made before it are stale. */
    private volatile int generation;
    /** How many layer runs {@link #runTogether} did (tests check that the team path runs). */
    final AtomicInteger teamRuns = new AtomicInteger();
    /**
     * A team only for W_hh of at least this many elements (H ≥ 182), below which a step costs about as
     * much as a barrier; the threshold from which a single GEMV is split between threads, too.
     */
    private static final long TEAM_WORK = 1 << 17;
    /** A team splits the hidden units only into parts of at least this many. */
    private static final int TEAM_UNITS = 64;
    /** A team has at most one thread per processor: its members spin at the barrier. */
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();
    /** Where a team member computes its part: on its own thread. */
    private static final ComputePool ALONE = ComputePool.sequential();

    /** What {@link #forward} returns: {@code output}, {@code h_n}, {@code c_n} (see the class comment for shapes). */
    public record Result(Tensor output, Tensor h_n, Tensor c_n) {
    }

    /** One layer, unidirectional, with biases, {@code batch_first = true}, as the fusion model uses. */
    public LSTM(int inputSize, int hiddenSize) {
        this(Kernels.get(), inputSize, hiddenSize, 1, true, true, false);
    }

    /** PyTorch's {@code nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, bidirectional=...)}. */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, boolean bidirectional) {
        this(Kernels.get(), inputSize, hiddenSize, numLayers, bias, batchFirst, bidirectional);
    }

    /** As above, computed with {@code kernels}; weights start at zero (load them). */
    public LSTM(Kernels kernels, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                boolean bidirectional) {
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1) {
            throw new IllegalArgumentException("LSTM needs input_size, hidden_size and num_layers ≥ 1, got "
                    + inputSize + ", " + hiddenSize + ", " + numLayers);
        }
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.inputSize = inputSize;
        this.hidden = hiddenSize;
        this.numLayers = numLayers;
        this.dirs = bidirectional ? 2 : 1;
        this.batchFirst = batchFirst;
        this.wIh = new Tensor[numLayers][dirs];
        this.wHh = new Tensor[numLayers][dirs];
        this.bIh = new Tensor[numLayers][dirs];
        this.bHh = new Tensor[numLayers][dirs];
        this.packedIh = new PackedWeight[numLayers][dirs];
        this.packedHh = new PackedWeight[numLayers][dirs];
        this.splits = new Split[numLayers];
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int l = 0; l < numLayers; l++) {
            int in = l == 0 ? inputSize : hiddenSize * dirs;
            for (int d = 0; d < dirs; d++) {
                String suffix = "_l" + l + (d == 1 ? "_reverse" : "");
                m.put("weight_ih" + suffix, wIh[l][d] = Tensor.zeros(4 * hiddenSize, in));
                packedIh[l][d] = new PackedWeight(kernels, wIh[l][d]);
                m.put("weight_hh" + suffix, wHh[l][d] = Tensor.zeros(4 * hiddenSize, hiddenSize));
                packedHh[l][d] = new PackedWeight(kernels, wHh[l][d]);
                if (bias) {
                    m.put("bias_ih" + suffix, bIh[l][d] = Tensor.zeros(4 * hiddenSize));
                    m.put("bias_hh" + suffix, bHh[l][d] = Tensor.zeros(4 * hiddenSize));
                }
            }
        }
        this.params = Collections.unmodifiableMap(m);
        this.weight_ih_l0 = wIh[0][0];
        this.weight_hh_l0 = wHh[0][0];
        this.bias_ih_l0 = bIh[0][0];
        this.bias_hh_l0 = bHh[0][0];
    }

    public int inputSize() {
        return inputSize;
    }

    public int hiddenSize() {
        return hidden;
    }

    public int numLayers() {
        return numLayers;
    }

    public boolean bidirectional() {
        return dirs == 2;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    /** The features of one output step: {@code H} or {@code 2H} when bidirectional. */
    public int outputSize() {
        return hidden * dirs;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        return params;
    }

    /** A parameter by its state_dict key, e.g. {@code "weight_hh_l1_reverse"}. */
    public Tensor parameter(String key) {
        Tensor t = params.get(key);
        if (t == null) {
            throw new IllegalArgumentException("LSTM has no parameter '" + key + "'; it has " + params.keySet());
        }
        return t;
    }

    /** All samples use all {@code T} steps, on the shared pool. */
    public Result forward(Tensor x) {
        return forward(x, null, ComputePool.shared());
    }

    /** All samples use all {@code T} steps. */
    public Result forward(Tensor x, ComputePool pool) {
        return forward(x, null, pool);
    }

    /**
     * Runs the network.
     *
     * @param x       {@code (N, T, input_size)} if batch_first else {@code (T, N, input_size)}; not modified
     * @param lengths null (every sample has {@code T} steps) or {@code N} lengths in {@code [1, T]}
     * @param pool    where the work runs; samples and directions are independent tasks
     */
    public Result forward(Tensor x, int[] lengths, ComputePool pool) {
        return run(x, lengths, pool, null);
    }

    /**
     * {@link #forward(Tensor, int[], ComputePool)} kept for training: the same bits, plus every step's
     * gates, cell and {@code tanh(c)} for the backward pass. {@code x} must not change until then.
     */
    public Trace trace(Tensor x, int[] lengths, ComputePool pool) {
        Tape tape = new Tape(numLayers, dirs);
        Result r = run(x, lengths, pool, tape);
        return new Trace(r, tape);
    }

    /** What one traced forward keeps, per layer {@code l} and direction {@code d}, batch-first. */
    private static final class Tape {
        int n, steps;
        int[] len;
        /** The input of each layer, {@code (N·T, in_l)}, and its output {@code (N·T, D·H)}. */
        final float[][] input, output;
        /** Per step: the activated gates {@code i, f, g, o} {@code (N·T, 4H)}, {@code c_t} and {@code tanh(c_t)} {@code (N·T, H)}. */
        final float[][][] gates, cells, tanhCells;

        Tape(int layers, int dirs) {
            input = new float[layers][];
            output = new float[layers][];
            gates = new float[layers][dirs][];
            cells = new float[layers][dirs][];
            tanhCells = new float[layers][dirs][];
        }
    }

    /**
     * Layer 0's input projections {@code W_ih·e + b_ih} of every row {@code e} of a lookup table, per
     * direction: what {@link #forward(InputProjections, int[], int, int, int[], ComputePool)} reads
     * instead of multiplying. Valid until {@link #weightsChanged()}; the table's values are read now, so
     * after changing them, project again.
     *
     * @param table {@code (rows, input_size)}, e.g. an embedding's weight
     */
    public InputProjections projectRows(Tensor table, ComputePool pool) {
        table.requireRank("LSTM projected table", 2);
        if (table.dim(1) != inputSize) {
            throw new IllegalArgumentException("LSTM: table rows have " + table.dim(1) + " values, input_size is "
                    + inputSize + " (shape " + table + ")");
        }
        int rows = table.dim(0), stamp = generation;
        float[][] projected = new float[dirs][];
        for (int d = 0; d < dirs; d++) {
            Tensor b = bIh[0][d];
            projected[d] = new float[Math.multiplyExact(rows, 4 * hidden)];
            packedIh[0][d].multiplyTransposed(pool, table.data(), rows, b == null ? null : b.data(), projected[d]);
        }
        return new InputProjections(this, stamp, rows, projected);
    }

    /**
     * Layer 0's input projections of a table's rows ({@link #projectRows}): {@code rows × 4H} floats
     * per direction. Immutable; made stale by the LSTM's {@link #weightsChanged()}.
     */
    public static final class InputProjections {
        private final LSTM owner;
        private final int generation, rows;
        /** {@code [direction][row·4H + j]}. */
        private final float[][] projected;

        private InputProjections(LSTM owner, int generation, int rows, float[][] projected) {
            this.owner = owner;
            this.generation = generation;
            this.rows = rows;
            this.projected = projected;
        }

        /** The table's rows: ids must be below it. */
        public int rows() {
            return rows;
        }

        /** The memory it holds. */
        public long bytes() {
            return 4L * projected.length * projected[0].length;
        }

        /** Whether {@code lstm} made it and its weights have not changed since. */
        public boolean currentFor(LSTM lstm) {
            return owner == lstm && generation == lstm.generation;
        }
    }

    /**
     * {@link #forward(Tensor, int[], ComputePool)} on the table rows {@code ids} that {@code projections}
     * projected: sample {@code s}, step {@code t} reads row {@code ids[s·steps + t]} (batch-first, whatever
     * {@code batch_first} says of the output). The same bits as forwarding those rows themselves.
     *
     * @param ids     {@code N·steps} row ids in {@code [0, projections.rows())}, batch-first row-major
     * @param lengths null or {@code N} lengths in {@code [1, steps]}; ids past a sample's length are
     *                checked but never used
     * @throws IllegalStateException if the weights changed since {@code projections} were made
     */
    public Result forward(InputProjections projections, int[] ids, int n, int steps, int[] lengths, ComputePool pool) {
        if (!projections.currentFor(this)) {
            throw new IllegalStateException("LSTM: these input projections were made by another LSTM or before"
                    + " its weights changed; project the table again");
        }
        if (n < 1 || steps < 1 || (long) n * steps != ids.length) {
            throw new IllegalArgumentException("LSTM: " + ids.length + " ids for " + n + " samples of " + steps + " steps");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= projections.rows) {
                throw new IndexOutOfBoundsException("LSTM: id " + ids[i] + " at position " + i
                        + " is out of range for a table of " + projections.rows + " rows");
            }
        }
        return run(null, projections, ids, n, steps, lengths, pool, null);
    }

    private Result run(Tensor x, int[] lengths, ComputePool pool, Tape tape) {
        x.requireRank("LSTM input", 3);
        int n = batchFirst ? x.dim(0) : x.dim(1), steps = batchFirst ? x.dim(1) : x.dim(0);
        if (x.dim(2) != inputSize) {
            throw new IllegalArgumentException("LSTM input has " + x.dim(2) + " features per step, input_size is "
                    + inputSize + " (shape " + x + ")");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("LSTM: expected sequence length to be larger than 0, got input " + x);
        }
        return run(batchFirst ? x.data() : swapFirstTwo(x.data(), steps, n, inputSize), null, null, n, steps, lengths,
                pool, tape);
    }

    /**
     * The layers over a batch-first input: layer 0's rows {@code input} or, with {@code projections},
     * the projected rows {@code ids}. Projections come only without a {@code tape}: training's
     * {@code runBatch} reads its input projections in sample-and-step order, not by row id.
     */
    private Result run(float[] input0, InputProjections projections, int[] ids, int n, int steps, int[] lengths,
                       ComputePool pool, Tape tape) {
        int[] len = lengths(lengths, n, steps);
        int h = hidden, out = h * dirs;
        float[] layerIn = input0;
        Tensor hn = Tensor.zeros(numLayers * dirs, n, h), cn = Tensor.zeros(numLayers * dirs, n, h);
        float[] layerOut = null;
        if (tape != null) {
            tape.n = n;
            tape.steps = steps;
            tape.len = len;
        }
        for (int l = 0; l < numLayers; l++) {
            float[] input = layerIn;
            float[] output = new float[n * steps * out];
            float[][] table = l == 0 && projections != null ? projections.projected : null;
            if (tape == null && n * dirs == 1 && runTogether(pool, l, input, table, ids, len[0], output, hn.data(), cn.data())) {
                layerIn = output;
                layerOut = output;
                continue;
            }
            // pre[d][(n*T + t)*4H + j] = (W_ih·x_t + b_ih)[j] for every step at once; or, with projected
            // rows, the table itself, sample s's step t at row ids[s*T + t].
            float[][] pre = table != null ? table : new float[dirs][n * steps * 4 * h];
            int[] rowIds = table != null ? ids : null;
            for (int d = 0; d < dirs; d++) {
                Tensor b = bIh[l][d];
                if (table == null) {
                    packedIh[l][d].multiplyTransposed(pool, input, n * steps, b == null ? null : b.data(), pre[d]);
                }
                if (tape != null) {
                    tape.gates[l][d] = new float[n * steps * 4 * h];
                    tape.cells[l][d] = new float[n * steps * h];
                    tape.tanhCells[l][d] = new float[n * steps * h];
                }
            }
            if (tape != null) {
                tape.input[l] = input;
                tape.output[l] = output;
            }
            int layer = l;
            if (tape == null) {
                pool.parallelFor(n * dirs, task -> {
                    int s = task / dirs, d = task % dirs;
                    runSequence(pool, layer, d, pre[d], rowIds, s, steps, len[s], output, hn.data(), cn.data(), n);
                });
            } else {
                for (int d = 0; d < dirs; d++) {
                    runBatch(pool, l, d, pre[d], steps, len, output, hn.data(), cn.data(), tape);
                }
            }
            layerIn = output;
            layerOut = output;
        }
        Tensor output = batchFirst ? Tensor.of(layerOut, n, steps, out)
                : Tensor.of(swapFirstTwo(layerOut, n, steps, out), steps, n, out);
        return new Result(output, hn, cn);
    }

    /**
     * One sample, one direction of one layer: {@code len} steps of the recurrence. Step t's input
     * projection is row {@code s·steps + t} of {@code pre}, or row {@code rowIds[s·steps + t]} when given.
     */
    private void runSequence(ComputePool pool, int l, int d, float[] pre, int[] rowIds, int s, int steps, int len,
                             float[] output, float[] hn, float[] cn, int n) {
        int h = hidden, out = h * dirs;
        float[] bias = bHh[l][d] == null ? null : bHh[l][d].data();
        float[] hState = new float[h], cState = new float[h], gates = new float[4 * h];
        float[] fc = new float[h], ig = new float[h], tc = new float[h];
        for (int k = 0; k < len; k++) {
            int t = d == 0 ? k : len - 1 - k;
            int row = (rowIds == null ? s * steps + t : rowIds[s * steps + t]) * 4 * h;
            // gates = (W_hh·h + b_hh) + pre[row]
            packedHh[l][d].multiplyVector(pool, hState, gates, new Epilogue(null, bias, true, pre, row, false));
            cellStep(h, gates, cState, hState, fc, ig, tc);
            System.arraycopy(hState, 0, output, (s * steps + t) * out + d * h, h);
        }
        int state = ((l * dirs + d) * n + s) * h;
        System.arraycopy(hState, 0, hn, state, h);
        System.arraycopy(cState, 0, cn, state, h);
    }

    /**
     * One sample, one direction, on a team of threads ({@link ComputePool#together}), when the batch is a
     * single sequence and nothing else would keep the other threads busy. Part p owns a range of hidden
     * units (see {@link Split}): it projects the input onto its units' gate rows for all steps, then at
     * each step computes those gates from the whole {@code h_{t−1}}, their cells and its part of
     * {@code h_t}, and waits at the barrier, because the next step reads all of {@code h_t}. One barrier
     * per step, where {@link #runSequence} has a parallel GEMV and then a cell update on one thread.
     * Every value comes from the same calls on the same rows as there, so the bits are the same.
     *
     * @return false, having written nothing, when the pool cannot form the team
     */
    private boolean runTogether(ComputePool pool, int l, float[] input, float[][] table, int[] ids, int len,
                                float[] output, float[] hn, float[] cn) {
        int parts = Math.min(Math.min(pool.threads(), PROCESSORS), hidden / TEAM_UNITS);
        if (parts < 2 || 4L * hidden * hidden < TEAM_WORK) {
            return false;
        }
        Split split = split(l, parts);
        int h = hidden;
        float[][] hBuf = {new float[h], new float[h]}; // h_{t-1} and h_t, swapped at every step
        boolean ran = pool.together(parts, (p, barrier) -> {
            int u0 = split.start[p], hp = split.start[p + 1] - u0;
            float[] pre = new float[len * 4 * hp]; // (W_ih·x_t + b_ih) for this part's gate rows, every step
            if (table != null) { // the projected rows' values for this part's gate rows
                for (int t = 0; t < len; t++) {
                    for (int g = 0; g < 4; g++) {
                        System.arraycopy(table[0], ids[t] * 4 * h + g * h + u0, pre, (t * 4 + g) * hp, hp);
                    }
                }
            } else {
                split.ih[p].multiplyTransposed(ALONE, input, len, split.bIh[p], pre);
            }
            float[] gates = new float[4 * hp];
            float[] hState = new float[hp], cState = new float[hp], fc = new float[hp], ig = new float[hp], tc = new float[hp];
            for (int t = 0; t < len; t++) {
                float[] hPrev = hBuf[t & 1], hNext = hBuf[(t + 1) & 1];
                split.hh[p].multiplyVector(ALONE, hPrev, gates, new Epilogue(null, split.bHh[p], true, pre, t * 4 * hp, false));
                cellStep(hp, gates, cState, hState, fc, ig, tc);
                System.arraycopy(hState, 0, hNext, u0, hp);
                System.arraycopy(hState, 0, output, t * h + u0, hp);
                if (t + 1 < len) {
                    barrier.await();
                }
            }
            System.arraycopy(hState, 0, hn, l * h + u0, hp);
            System.arraycopy(cState, 0, cn, l * h + u0, hp);
        });
        if (ran) {
            teamRuns.incrementAndGet();
        }
        return ran;
    }

    /** Layer {@code l}'s weights cut for a team of {@code parts}, made on first use and kept until the weights change. */
    private synchronized Split split(int l, int parts) {
        Split s = splits[l];
        if (s == null || s.parts() != parts) {
            splits[l] = s = new Split(l, parts);
        }
        return s;
    }

    /**
     * The forward direction of layer {@code l} cut by hidden units for a team of {@code parts}: part p owns
     * units {@code [start[p], start[p+1])} and holds the rows of W_ih, W_hh, b_ih and b_hh for its units'
     * four gates, in the order i, f, g, o, so that its gates are laid out as a whole layer's with H = its
     * unit count.
     */
    private final class Split {
        final int[] start;
        final PackedWeight[] ih, hh;
        final float[][] bIh, bHh;

        Split(int l, int parts) {
            int h = hidden, in = l == 0 ? inputSize : h * dirs;
            Tensor biasIh = LSTM.this.bIh[l][0], biasHh = LSTM.this.bHh[l][0];
            start = new int[parts + 1];
            ih = new PackedWeight[parts];
            hh = new PackedWeight[parts];
            bIh = new float[parts][];
            bHh = new float[parts][];
            for (int p = 0; p <= parts; p++) {
                start[p] = ComputePool.splitStart(h, parts, p);
            }
            for (int p = 0; p < parts; p++) {
                int u0 = start[p], hp = start[p + 1] - u0;
                ih[p] = new PackedWeight(kernels, Tensor.of(gateRows(wIh[l][0].data(), in, u0, hp), 4 * hp, in));
                hh[p] = new PackedWeight(kernels, Tensor.of(gateRows(wHh[l][0].data(), h, u0, hp), 4 * hp, h));
                bIh[p] = biasIh == null ? null : gateRows(biasIh.data(), 1, u0, hp);
                bHh[p] = biasHh == null ? null : gateRows(biasHh.data(), 1, u0, hp);
            }
        }

        int parts() {
            return hh.length;
        }

        /** Rows {@code g·H + u} for each gate g and {@code u} in {@code [u0, u0 + hp)} of a (4H, cols) matrix. */
        private float[] gateRows(float[] m, int cols, int u0, int hp) {
            float[] rows = new float[4 * hp * cols];
            for (int g = 0; g < 4; g++) {
                System.arraycopy(m, (g * hidden + u0) * cols, rows, g * hp * cols, hp * cols);
            }
            return rows;
        }
    }

    /**
     * From the gates {@code W_hh·h + b_hh + W_ih·x + b_ih} (4h, overwritten by their activations) to the new
     * {@code c} and {@code h} (h values each, updated in place); {@code fc}, {@code ig} are scratch, {@code tc}
     * gets {@code tanh(c)}. Every path calls it ({@link #runSequence}, {@link #runTogether} on a part of the
     * units, training's traced recurrence), and each element goes through the same operations wherever it
     * falls in a vector, so all give the same bits.
     */
    private void cellStep(int h, float[] gates, float[] cState, float[] hState, float[] fc, float[] ig, float[] tc) {
        kernels.sigmoid(gates, 0, gates, 0, 2 * h);          // i, f
        kernels.tanh(gates, 2 * h, gates, 2 * h, h);         // g
        kernels.sigmoid(gates, 3 * h, gates, 3 * h, h);      // o
        kernels.mul(gates, h, cState, 0, fc, 0, h);          // f ⊙ c
        kernels.mul(gates, 0, gates, 2 * h, ig, 0, h);       // i ⊙ g
        kernels.add(fc, 0, ig, 0, cState, 0, h);             // c = f⊙c + i⊙g
        kernels.tanh(cState, 0, tc, 0, h);
        kernels.mul(gates, 3 * h, tc, 0, hState, 0, h);      // h = o ⊙ tanh(c)
    }

    /**
     * The traced recurrence of one direction of layer {@code l} for the whole batch: at step {@code k}
     * every sample still running ({@code len > k}) is one column of a single product
     * {@code W_hh·[h_1 … h_m]}, whose columns are bit-identical to {@link #runSequence}'s GEMVs; the cell
     * arithmetic per sample is the same call sequence ({@link #cellStep}), so the output equals
     * {@code forward}'s bit for bit. Records gates, cells and {@code tanh(c)} in {@code tape}.
     */
    private void runBatch(ComputePool pool, int l, int d, float[] pre, int steps, int[] len, float[] output,
                          float[] hn, float[] cn, Tape tape) {
        int h = hidden, out = h * dirs, n = len.length, maxLen = Arrays.stream(len).max().orElse(0);
        float[] bias = bHh[l][d] == null ? null : bHh[l][d].data();
        float[] hAll = new float[n * h], cAll = new float[n * h];
        float[] hActive = new float[n * h], preT = new float[4 * h * n], gatesT = new float[4 * h * n];
        float[] gates = new float[4 * h], hState = new float[h], cState = new float[h];
        float[] fc = new float[h], ig = new float[h], tc = new float[h];
        int[] active = new int[n], at = new int[n];
        for (int k = 0; k < maxLen; k++) {
            int m = 0;
            for (int s = 0; s < n; s++) {
                if (len[s] > k) {
                    active[m] = s;
                    at[m] = s * steps + (d == 0 ? k : len[s] - 1 - k);
                    m++;
                }
            }
            for (int a = 0; a < m; a++) {
                System.arraycopy(hAll, active[a] * h, hActive, a * h, h);
                for (int j = 0; j < 4 * h; j++) {
                    preT[j * m + a] = pre[at[a] * 4 * h + j];
                }
            }
            // gatesᵀ (4H, m) = (W_hh·H + b_hh) + preᵀ
            packedHh[l][d].multiplyColumns(pool, hActive, m, gatesT, new Epilogue(null, bias, true, preT, 0, false));
            for (int a = 0; a < m; a++) {
                int s = active[a];
                for (int j = 0; j < 4 * h; j++) {
                    gates[j] = gatesT[j * m + a];
                }
                System.arraycopy(hAll, s * h, hState, 0, h);
                System.arraycopy(cAll, s * h, cState, 0, h);
                cellStep(h, gates, cState, hState, fc, ig, tc);
                System.arraycopy(hState, 0, hAll, s * h, h);
                System.arraycopy(cState, 0, cAll, s * h, h);
                System.arraycopy(hState, 0, output, at[a] * out + d * h, h);
                System.arraycopy(gates, 0, tape.gates[l][d], at[a] * 4 * h, 4 * h);
                System.arraycopy(cState, 0, tape.cells[l][d], at[a] * h, h);
                System.arraycopy(tc, 0, tape.tanhCells[l][d], at[a] * h, h);
            }
        }
        for (int s = 0; s < n; s++) {
            int state = ((l * dirs + d) * n + s) * h;
            System.arraycopy(hAll, s * h, hn, state, h);
            System.arraycopy(cAll, s * h, cn, state, h);
        }
    }

    /**
     * A traced forward pass: {@link #result()} as {@code forward} returns it, and the backward pass
     * through time.
     *
     * <p>Backward, for each layer from the top and each direction, walking each sample's own
     * {@code len} steps backwards from the one its direction ran last (with {@code δh}, {@code δc}
     * flowing from step to step, zero beyond the last step; {@code σ' = s(1−s)}, {@code tanh' = 1−t²}):
     * <pre>
     *   dh  = dOutput_t + δh                    do = dh ⊙ tanh(c_t)
     *   dc  = δc + dh ⊙ o ⊙ (1 − tanh²(c_t))
     *   di = dc ⊙ g   df = dc ⊙ c_{t−1}   dg = dc ⊙ i        δc = dc ⊙ f
     *   dgates = [di·i(1−i), df·f(1−f), dg·(1−g²), do·o(1−o)]     (4H, pre-activation)
     *   δh = W_hhᵀ·dgates
     * </pre>
     * then, over all samples and steps at once (GEMMs, summed in a fixed order):
     * {@code dW_ih += dGatesᵀ·X}, {@code dW_hh += dGatesᵀ·H_prev}, {@code db_ih += Σ dgates}, {@code db_hh += Σ dgates},
     * {@code dX = dGates·W_ih} (both directions added), which is the next layer down's {@code dOutput}.
     * Padded steps (at or past a sample's length) get no gradient and pass none.
     */
    public final class Trace implements Traced {
        private final Result result;
        private final Tape tape;

        private Trace(Result result, Tape tape) {
            this.result = result;
            this.tape = tape;
        }

        /** What {@link LSTM#forward(Tensor, int[], ComputePool)} returns. */
        public Result result() {
            return result;
        }

        /** The output sequence, {@code (N, T, D·H)} or {@code (T, N, D·H)}. */
        @Override
        public Tensor output() {
            return result.output();
        }

        /**
         * Back-propagates {@code dOutput} (shaped like {@link #output()}; the gradients of {@code h_n}
         * and {@code c_n} are taken as zero) and returns the gradient of the input sequence.
         */
        @Override
        public Tensor backward(Tensor dOutput, Gradients grads, ComputePool pool) {
            if (!Arrays.equals(dOutput.shape(), result.output().shape())) {
                throw new IllegalArgumentException("LSTM backward: gradient " + dOutput + " is not shaped like the output "
                        + result.output());
            }
            int n = tape.n, steps = tape.steps, h = hidden, out = h * dirs, rows = n * steps;
            float[] dOut = batchFirst ? dOutput.data() : swapFirstTwo(dOutput.data(), steps, n, out);
            for (int l = numLayers - 1; l >= 0; l--) {
                int in = l == 0 ? inputSize : out;
                float[][] dGates = new float[dirs][rows * 4 * h];
                for (int d = 0; d < dirs; d++) {
                    backwardThroughTime(pool, l, d, tape, dOut, dGates[d]);
                }
                float[] dIn = new float[rows * in];
                for (int d = 0; d < dirs; d++) {
                    float[] dG = dGates[d];
                    float[] dWih = grads.of(wIh[l][d]), dWhh = grads.of(wHh[l][d]);
                    if (dWih != null || dWhh != null) {
                        float[] dGT = transpose(dG, rows, 4 * h);
                        if (dWih != null) {
                            Linear.accumulateProduct(kernels, pool, 4 * h, in, rows, dGT, tape.input[l], dWih);
                        }
                        if (dWhh != null) {
                            float[] hPrev = previousStates(l, d);
                            Linear.accumulateProduct(kernels, pool, 4 * h, h, rows, dGT, hPrev, dWhh);
                        }
                    }
                    for (Tensor b : new Tensor[] {bIh[l][d], bHh[l][d]}) {
                        float[] db = b == null ? null : grads.of(b);
                        if (db != null) {
                            Linear.sumRows(dG, rows, 4 * h, db);
                        }
                    }
                    Linear.accumulateProduct(kernels, pool, rows, in, 4 * h, dG, wIh[l][d].data(), dIn);
                }
                dOut = dIn;
            }
            return batchFirst ? Tensor.of(dOut, n, steps, inputSize)
                    : Tensor.of(swapFirstTwo(dOut, n, steps, inputSize), steps, n, inputSize);
        }

        /** {@code (N·T, H)}: the state each step of direction {@code d} started from (zero for its first step and padding). */
        private float[] previousStates(int l, int d) {
            int n = tape.n, steps = tape.steps, h = hidden, out = h * dirs;
            float[] prev = new float[n * steps * h], output = tape.output[l];
            for (int s = 0; s < n; s++) {
                int len = tape.len[s];
                for (int t = 0; t < len; t++) {
                    int from = d == 0 ? t - 1 : t + 1;
                    if (from >= 0 && from < len) {
                        System.arraycopy(output, (s * steps + from) * out + d * h, prev, (s * steps + t) * h, h);
                    }
                }
            }
            return prev;
        }
    }

    /**
     * Back-propagation through time for one direction of layer {@code l}, the whole batch at once:
     * walking the recurrence backwards, every sample still inside its length is a row of
     * {@code δH = dGates·W_hh} ({@code (m, 4H)·(4H, H)}). Writes the rows of {@code dGates} (N·T, 4H).
     */
    private void backwardThroughTime(ComputePool pool, int l, int d, Tape tape, float[] dOut, float[] dGates) {
        int h = hidden, out = h * dirs, steps = tape.steps, n = tape.n;
        int[] len = tape.len;
        int maxLen = Arrays.stream(len).max().orElse(0);
        float[] gates = tape.gates[l][d], cells = tape.cells[l][d], tanhCells = tape.tanhCells[l][d];
        float[] whh = wHh[l][d].data();
        float[] dh = new float[n * h], dc = new float[n * h];
        float[] dgActive = new float[n * 4 * h], dhActive = new float[n * h];
        int[] active = new int[n];
        for (int k = maxLen - 1; k >= 0; k--) {
            int m = 0;
            for (int s = 0; s < n; s++) {
                if (len[s] <= k) {
                    continue;
                }
                int t = d == 0 ? k : len[s] - 1 - k;
                int row = s * steps + t, g4 = row * 4 * h;
                int prev = k == 0 ? -1 : s * steps + (d == 0 ? t - 1 : t + 1);
                for (int j = 0; j < h; j++) {
                    float i = gates[g4 + j], f = gates[g4 + h + j], g = gates[g4 + 2 * h + j], o = gates[g4 + 3 * h + j];
                    float tc = tanhCells[row * h + j];
                    float cPrev = prev < 0 ? 0f : cells[prev * h + j];
                    float dhj = dOut[row * out + d * h + j] + dh[s * h + j];
                    float dO = dhj * tc;
                    float dC = dc[s * h + j] + dhj * o * (1f - tc * tc);
                    float dI = dC * g, dF = dC * cPrev, dG = dC * i;
                    dc[s * h + j] = dC * f;
                    dGates[g4 + j] = dI * i * (1f - i);
                    dGates[g4 + h + j] = dF * f * (1f - f);
                    dGates[g4 + 2 * h + j] = dG * (1f - g * g);
                    dGates[g4 + 3 * h + j] = dO * o * (1f - o);
                }
                System.arraycopy(dGates, g4, dgActive, m * 4 * h, 4 * h);
                active[m++] = s;
            }
            if (k > 0) {
                // δh (m, H) = dGates (m, 4H) · W_hh (4H, H)
                kernels.sgemm(pool, m, h, 4 * h, dgActive, 0, 4 * h, whh, 0, h, false, dhActive, 0, h, Epilogue.NONE);
                for (int a = 0; a < m; a++) {
                    System.arraycopy(dhActive, a * h, dh, active[a] * h, h);
                }
            }
        }
    }

    /** {@code (rows, cols) -> (cols, rows)}. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private static int[] lengths(int[] lengths, int n, int steps) {
        if (lengths == null) {
            int[] all = new int[n];
            Arrays.fill(all, steps);
            return all;
        }
        if (lengths.length != n) {
            throw new IllegalArgumentException("LSTM: " + lengths.length + " lengths for a batch of " + n);
        }
        for (int i = 0; i < n; i++) {
            if (lengths[i] < 1 || lengths[i] > steps) {
                throw new IllegalArgumentException("LSTM: length " + lengths[i] + " of sample " + i
                        + " is outside [1, " + steps + "] (an empty sequence cannot be run)");
            }
        }
        return lengths.clone();
    }

    /** {@code (a, b, f)} -> {@code (b, a, f)}: between the time-first and batch-first layouts. */
    private static float[] swapFirstTwo(float[] x, int a, int b, int f) {
        float[] y = new float[x.length];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(x, (i * b + j) * f, y, (j * a + i) * f, f);
            }
        }
        return y;
    }

    /**
     * Call after changing the weights' values once the layer has run: the input weights are packed
     * again, and {@link InputProjections} made before are stale.
     */
    public void weightsChanged() {
        synchronized (this) {
            Arrays.fill(splits, null);
            generation++;
        }
        for (PackedWeight[][] packed : List.of(packedIh, packedHh)) {
            for (PackedWeight[] layer : packed) {
                for (PackedWeight p : layer) {
                    p.invalidate();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "LSTM(" + inputSize + ", " + hidden + (numLayers > 1 ? ", num_layers=" + numLayers : "")
                + (batchFirst ? ", batch_first=True" : "") + (dirs == 2 ? ", bidirectional=True" : "")
                + (bIh[0][0] == null ? ", bias=False" : "") + ")";
    }
}
