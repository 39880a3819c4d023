package vecnet.engine;

/**
 * The hot loops of vecnet, behind one interface with two implementations:
 * {@code ScalarKernels}, plain loops kept forever as the reference ({@link #scalar()}), and
 * {@code VectorKernels}, the same operations with the Vector API ({@code jdk.incubator.vector}).
 * Both are internal to the engine; this interface is how the layers, and you, reach them.
 *
 * <p>Get the implementation once with {@link #get()}; it is chosen once per JVM: the Vector API
 * kernels when the JVM was started with {@code --add-modules jdk.incubator.vector} and
 * {@code -Dvecnet.simd=false} is not set, else the scalar ones (one log line says why). Their
 * vectors are as wide as the hardware prefers unless {@code -Dvecnet.vectorBits=128|256} asks for
 * less. All arrays are flat row-major {@code float[]}; an {@code xOff}
 * argument is where element 0 of {@code x} sits. No method allocates its output: the caller
 * passes it in, and only the output arrays are modified. Every method is thread-safe and its
 * result does not depend on the {@link ComputePool}'s thread count.
 */
public interface Kernels {

    /** The kernels chosen for this JVM: Vector API when available and not disabled, else scalar. */
    static Kernels get() {
        return KernelProvider.kernels();
    }

    /** The scalar reference kernels, whatever the JVM offers. */
    static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** A short name for logs and benchmarks: "scalar" or "vector-256" / "vector-512". */
    String name();

    /**
     * Matrix multiply with an epilogue: {@code C[i,j] = ep(Σ_p A[i,p]·B[p,j])}.
     *
     * <p>{@code A} is {@code (m,k)} at {@code a[aOff + i*lda + p]}. {@code B} is {@code (k,n)} at
     * {@code b[bOff + p*ldb + j]}, or, when {@code bTransposed}, stored as its transpose {@code (n,k)}
     * at {@code b[bOff + j*ldb + p]} (the layout of a Linear layer's weight). {@code C} is
     * {@code (m,n)} at {@code c[cOff + i*ldc + j]} and is overwritten. The epilogue's residual is read
     * at {@code residual[residualOffset + i*ldc + j]}.
     * The residual must not overlap {@code C}: a long {@code k} is summed in slices, and each slice
     * would add it again (accumulate into a scratch array, then add).
     */
    void sgemm(ComputePool pool, int m, int n, int k,
               float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb, boolean bTransposed,
               float[] c, int cOff, int ldc, Epilogue ep);

    /**
     * Prepares products {@code C = A·B} with a fixed left matrix: {@code A} is {@code (m,k)} at
     * {@code a[aOff + i*lda + p]}, copied or repacked once, so the caller may reuse its array. This is
     * how a layer multiplies by its weights: packing them once instead of at every call. The plan
     * is immutable and thread-safe.
     */
    GemmPlan planGemm(int m, int k, float[] a, int aOff, int lda);

    /** A left matrix ready for many products; see {@link #planGemm}. */
    interface GemmPlan {
        /** Rows of A. */
        int m();

        /** Columns of A. */
        int k();

        /**
         * {@code C[i,j] = ep(Σ_p A[i,p]·B[p,j])} for {@code j < n}, with B and C laid out as in
         * {@link Kernels#sgemm}. Equal, element for element, to {@code sgemm} with the same A.
         */
        void run(ComputePool pool, int n, float[] b, int bOff, int ldb, boolean bTransposed,
                 float[] c, int cOff, int ldc, Epilogue ep);
    }

    /**
     * {@code C = A·X̂ᵀ}, a convolution's weight gradient for one group, without building X̂: X̂ is the
     * column ("im2col") form of the input {@code x (n, cin, h, w)} for that group, {@code K =
     * cin/groups·kh·kw} rows and {@code N·P} columns ({@code P = outH·outW}),
     * <pre>
     *   X̂[r, q] = x[b, ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw]  (zero outside the input)
     *   r = ((ci − group·cin/groups)·kh + i)·kw + j,   q = b·P + oy·outW + ox
     * </pre>
     * {@code A (m, N·P)} is read at {@code a[aOff + row·lda + q]}, {@code C (m, K)} written at
     * {@code c[cOff + row·ldc + r]}. Equal, element for element, to {@link #sgemm} of A with {@code B =
     * X̂ᵀ} ({@code bTransposed}, B stored as X̂) and no epilogue: only the copy of X̂ is saved, which for a
     * small-channel convolution on a large batch is most of the work.
     */
    void sgemmColumnsTransposed(ComputePool pool, int m, float[] a, int aOff, int lda, ConvGeometry g, int group,
                                float[] x, int n, int h, int w, float[] c, int cOff, int ldc);

    /**
     * A convolution's weight gradient for one group, summed over the batch:
     * <pre>
     *   dW[o, r] = Σ_{b, oy, ox} dY[b, group·cout/groups + o, oy, ox] · X̂[r, (b, oy, ox)]
     *   X̂[r, (b, oy, ox)] = x[b, group·cin/groups + ci, oy·sh − ph + i·dh, ox·sw − pw + j·dw]  (zero outside the input)
     *   r = (ci·kh + i)·kw + j,   o < cout/groups
     * </pre>
     * {@code dy} is {@code (n, cout, outH, outW)} and {@code x} {@code (n, cin, h, w)}; {@code dW (cout/groups,
     * K)} is written (not added) at {@code dw[dwOff + o·K + r]}, {@code K = cin/groups·kh·kw}. The same sum as
     * {@link #sgemmColumnsTransposed} of {@code dY} seen as {@code (cout, N·P)}, but taken in each
     * implementation's own order (so not bit-identical to it); the order never depends on the pool.
     * The Vector API version multiplies {@code dY}'s zero padding by input values outside the
     * convolution's window: an infinite or NaN input can reach taps that do not read it.
     */
    void convWeightGradient(ComputePool pool, ConvGeometry g, int group, float[] dy, float[] x, int n, int h, int w,
                            float[] dw, int dwOff);

    /**
     * A stride-1 convolution's input gradient, as a plan whose weights are ready: its {@link Conv2dPlan#run}
     * on {@code dy (n, cout, outH, outW)} writes {@code dx (n, cin, h, w)}, with {@code ci = g·cin/groups + c},
     * <pre>
     *   dx[b, ci, y, x] = Σ_{i, j} ( Σ_o weight[g·opg + o, c, i, j] · dy[b, g·opg + o, y + ph − i·dh, x + pw − j·dw] )
     * </pre>
     * ({@code opg = cout/groups}; terms outside {@code dy} are left out), each pixel's outer sum taken
     * from zero in tap order {@code (i, j)}. It is bit for bit what this implementation's {@link #sgemm}
     * of {@code W_gᵀ (K, opg)} by {@code dY_g (opg, N·P)} into columns, followed by adding every column
     * entry onto its pixel of a zeroed {@code dx} in tap order ("col2im"), gives, without the columns.
     * The plan's geometry is {@link ConvGeometry#inputGradient()}. {@code weight} is
     * {@code [cout, cin/groups, kh, kw]}, read now and not kept.
     *
     * @return the plan, or null where {@code g.inputGradient()} is (a stride other than 1, or padding
     *         past the kernel's reach)
     */
    Conv2dPlan planConvInputGradient(ConvGeometry g, float[] weight);

    /**
     * Sums over {@code len} values for a batch-norm's statistics, centred on {@code center}: with
     * {@code d[i] = x[xOff + i] − center} (in float), adds {@code Σ d[i]} to {@code out[0]} and {@code Σ d[i]²}
     * to {@code out[1]}. Each implementation sums in its own fixed order (the scalar one in double, element
     * by element); only {@code out} is modified.
     */
    void deviationSums(float[] x, int xOff, int len, float center, double[] out);

    /**
     * Sums over {@code len} values for a batch-norm's gradients: adds {@code Σ dy[i]} to {@code out[0]} and
     * {@code Σ dy[i]·(x[i] − center)} to {@code out[1]} ({@code dy[i] = dy[dyOff + i]}, {@code x[i] = x[xOff + i]},
     * the difference in float). The order is the implementation's own, fixed; only {@code out} is modified.
     */
    void gradientSums(float[] dy, int dyOff, float[] x, int xOff, int len, float center, double[] out);

    /**
     * A batch-norm's input gradient in training mode, elementwise: {@code out[outOff + i] = fma(a, dy[dyOff + i],
     * fma(b, x[xOff + i] − center, c))} for {@code i < len}, with exactly these roundings, so every
     * implementation gives the same bits.
     */
    void affineDeviation(float[] dy, int dyOff, float[] x, int xOff, int len, float center, float a, float b, float c,
                         float[] out, int outOff);

    /** {@code out[outOff + i] = y[yOff + i] > 0 ? dy[dyOff + i] : 0} for {@code i < len}: ReLU's backward, from its output. */
    void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] out, int outOff, int len);

    /**
     * Prepares products {@code C = A·Wᵀ} with a fixed right-hand weight matrix {@code W (n, k)}, read
     * as {@code w[wOff + j*ldw + p]} and copied or repacked once: the layout of a linear layer's
     * weight, multiplied by a block of input rows. Where {@link #planGemm} suits many columns and
     * single vectors, this suits few rows: every micro-tile is full as soon as there are four rows,
     * and the result needs no transpose. The plan is immutable and thread-safe.
     */
    RightPlan planGemmRight(int n, int k, float[] w, int wOff, int ldw);

    /** A right matrix ready for many products; see {@link #planGemmRight}. */
    interface RightPlan {
        /** Columns of C: rows of W. */
        int n();

        /** Columns of A and W. */
        int k();

        /**
         * {@code C[i,j] = ep(Σ_p A[i,p]·W[j,p])} for {@code i < m}, with A and C laid out as in
         * {@link Kernels#sgemm}. Equal, element for element, to {@code sgemm} of the same A with
         * {@code B = Wᵀ} ({@code bTransposed}), and so to {@link GemmPlan#run} with the roles swapped.
         */
        void run(ComputePool pool, int m, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, Epilogue ep);
    }

    /**
     * Prepares a convolution with fixed weights {@code [cout, cin/groups, kh, kw]} (copied or repacked,
     * so the caller may reuse {@code weight}). The plan is immutable and thread-safe.
     */
    Conv2dPlan planConv2d(ConvGeometry geometry, float[] weight);

    /**
     * As {@link #planConv2d}, but always the direct algorithm: each output is the convolution's own
     * sum of products, never a fast algorithm such as Winograd's whose transforms round differently.
     * Training uses it, so that its forward pass rounds as PyTorch's does and twenty optimizer steps
     * do not amplify a transform's rounding into a different trajectory.
     */
    default Conv2dPlan planConv2dDirect(ConvGeometry geometry, float[] weight) {
        return planConv2d(geometry, weight);
    }

    /** A convolution whose weights are ready; see {@link #planConv2d}. */
    interface Conv2dPlan {
        ConvGeometry geometry();

        /**
         * {@code y[n,co,oh,ow] = ep(Σ_{ci,i,j} w[co,ci,i,j] · x[n, g*cinPerGroup + ci, oh*sh - ph + i*dh, ow*sw - pw + j*dw])}
         * with zero outside the input; the epilogue's channel is {@code co} and its residual is laid
         * out like {@code y}. {@code x} is {@code [n, cin, h, w]}, {@code y} is {@code [n, cout, outH, outW]}.
         */
        void run(ComputePool pool, float[] x, int n, int h, int w, float[] y, Epilogue ep);

        /**
         * Makes now what {@link #run} on {@code h×w} inputs would make on its first call (weights
         * transformed or packed for the algorithm that size uses), so that the first call does not
         * pay for it. Optional: the default does nothing. Thread-safe; results never change.
         */
        default void prepare(int h, int w) {
        }
    }

    /**
     * A convolution followed by max pooling, {@code maxPool2d(conv(x))}, in one pass: ResNet's stem and
     * the pooling after it. Equal, element for element, to {@link #planConv2d}'s plan run with the same
     * epilogue and then {@link #maxPool2d}. Null where these kernels have no such pass (the scalar
     * kernels never do), and then the caller runs the two steps.
     *
     * @param k      the pooling window
     * @param stride the pooling stride
     * @param pad    the pooling padding, at most {@code k / 2}
     */
    default ConvPoolPlan planConvMaxPool(ConvGeometry geometry, float[] weight, int k, int stride, int pad) {
        return null;
    }

    /** A convolution and the max pooling after it, with the convolution's weights ready; see {@link #planConvMaxPool}. */
    interface ConvPoolPlan {
        /**
         * {@code y = maxPool2d(conv(x) with ep)}: {@code x} is {@code [n, cin, h, w]}, {@code y} the pooled
         * {@code [n, cout, ph, pw]}. The epilogue is per output channel and has no residual.
         */
        void run(ComputePool pool, float[] x, int n, int h, int w, Epilogue ep, float[] y);
    }

    /**
     * Gets the matrix products' micro-kernel compiled now, on a tile of a few KB: for a program that
     * has yet to load its weights, so that its first product runs compiled code (until the JIT compiles
     * them, the vector kernels run the Vector API's slow Java fallbacks). Optional: the default, and
     * the scalar kernels, do nothing. Thread-safe; it changes no result, and takes 0.1-0.25 s of one
     * thread.
     */
    default void warmUp() {
    }

    /**
     * Max pooling, NCHW: {@code y[n,c,oh,ow] = max over the window at (oh*stride - pad, ow*stride - pad)}
     * of size {@code k×k}, where padded cells count as −∞ (PyTorch's rule). Output size as for a
     * convolution: {@code floor((h + 2*pad - k)/stride) + 1}. {@code x} is {@code [n,c,h,w]}.
     */
    void maxPool2d(ComputePool pool, float[] x, int n, int c, int h, int w,
                   int k, int stride, int pad, float[] y);

    /**
     * Adaptive average pooling, NCHW, to {@code oh×ow}: output cell {@code (i,j)} averages rows
     * {@code [floor(i*h/oh), ceil((i+1)*h/oh))} and the matching columns, as PyTorch does.
     */
    void adaptiveAvgPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int oh, int ow, float[] y);

    /** {@code out[i] = a[i] + b[i]} for {@code i < len}. */
    void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len);

    /** {@code out[i] = a[i] * b[i]} for {@code i < len}. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len);

    /** {@code out[i] = x[i] < 0 ? 0 : x[i]}: as {@code torch.relu}, NaN and −0.0 pass through. */
    void relu(float[] x, int xOff, float[] out, int outOff, int len);

    /** {@code out[i] = 1 / (1 + exp(-x[i]))}, within 2e-7 absolute of the exact value. */
    void sigmoid(float[] x, int xOff, float[] out, int outOff, int len);

    /** {@code out[i] = tanh(x[i])}, within 2e-7 absolute of the exact value. */
    void tanh(float[] x, int xOff, float[] out, int outOff, int len);

    /**
     * Concatenation along one axis of row-major arrays seen as {@code [outer, part_i, inner]}:
     * writes each {@code parts[i]} ({@code outer × widths[i] × inner} elements) into {@code out}
     * ({@code outer × Σwidths × inner}), parts side by side in order.
     */
    void concat(float[][] parts, int[] widths, int outer, int inner, float[] out);

    /**
     * Pillow's fixed-point resampling step ({@code Resample.c}, 8 bits per channel), on {@code len}
     * lanes at once: for {@code i < len},
     * <pre>
     *   acc    = 2^(shift−1) + Σ_{t < taps} w[wOff + t] · x[xOff + t·stride + i]     (int32, wrapping)
     *   out[outOff + i] = clamp(acc >> shift, 0, 255)                               (arithmetic shift)
     * </pre>
     * The taps are {@code taps} rows of {@code x}, {@code stride} apart; {@code w} holds their integer
     * weights. Exact integer arithmetic, so every implementation gives the same ints. Only {@code out}
     * is modified; it must not overlap the rows read.
     */
    void fixedPointTaps(int[] x, int xOff, int stride, int taps, int[] w, int wOff, int shift,
                        int[] out, int outOff, int len);

    /**
     * JPEG's YCbCr to RGB with libjpeg's 16-bit fixed-point constants ({@code jdcolor.c}), in place on
     * three planes of {@code len} ints in 0..255: with {@code cb' = Cb − 128}, {@code cr' = Cr − 128},
     * <pre>
     *   R = clamp(Y + ((91881·cr' + 32768) >> 16))               91881 = FIX(1.40200)
     *   G = clamp(Y + ((−22554·cb' − 46802·cr' + 32768) >> 16))    22554 = FIX(0.34414), 46802 = FIX(0.71414)
     *   B = clamp(Y + ((116130·cb' + 32768) >> 16))              116130 = FIX(1.77200)
     * </pre>
     * clamped to 0..255; Y, Cb, Cr are read at {@code x[yOff + i]}, {@code x[cbOff + i]},
     * {@code x[crOff + i]} and R, G, B written there. Exact integer arithmetic.
     */
    void ycbcrToRgb(int[] x, int yOff, int cbOff, int crOff, int len);
}
