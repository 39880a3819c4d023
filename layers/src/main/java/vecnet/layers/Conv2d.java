package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * A 2-D convolution, PyTorch's {@code nn.Conv2d} (cross-correlation, no kernel flip, zero padding):
 *
 * <pre>
 *   y[n,co,oh,ow] = bias[co] + Σ_{ci,i,j} weight[co,ci,i,j] · x[n, g·cin/groups + ci, oh·sh − ph + i·dh, ow·sw − pw + j·dw]
 *   x (N, cin, H, W) -> y (N, cout, outH, outW),  outH = floor((H + 2·ph − dh·(kh−1) − 1) / sh) + 1
 * </pre>
 *
 * where {@code g = co / (cout/groups)} is the group of output channel {@code co}.
 *
 * <p>The arithmetic is one {@link Kernels.Conv2dPlan}, made from the weights on the first forward
 * and kept (thread-safe). Load the weights first; if the values of {@link #weight} change after a
 * forward, call {@link #weightsChanged()}. {@link #forward(Tensor, ComputePool, Epilogue)} applies
 * a following batch-norm, residual add and ReLU while the output is written, in one pass.
 */
public final class Conv2d implements Layer, HasStateDict {
    /** {@code [cout, cin/groups, kh, kw]}. */
    public final Tensor weight;
    /** {@code [cout]}, or null when the convolution has no bias (as in ResNet). */
    public final Tensor bias;

    /**
     * How a forward pass computes the convolution, for the shapes where the kernels offer more than
     * one way (a 3×3 convolution of stride 1); everywhere else both are the direct algorithm.
     */
    public enum Algorithm {
        /**
         * The fastest once compiled, the default: Winograd's, whose 2.25-4× fewer multiplies round
         * differently from a plain sum (ResNet-18's logits move by about 1e-6 relative).
         */
        FASTEST,
        /**
         * Always the direct algorithm: each output is the convolution's own sum of products, rounded as
         * PyTorch's. Slower once compiled, but it has less code to compile, so a process that runs a
         * few pictures and exits finishes sooner (see {@code bench/RESULTS.md}). Training uses it too.
         */
        DIRECT
    }

    private final ConvGeometry geometry;
    private final Kernels kernels;
    private volatile Kernels.Conv2dPlan plan;
    private volatile Kernels.Conv2dPlan directPlan;   // Algorithm.DIRECT's: see Kernels.planConv2dDirect
    private volatile PooledPlan pooledPlan;             // forwardMaxPooled's
    private volatile Kernels.Conv2dPlan inputGradientPlan;   // backward's, see #inputGradientPlan

    /** A square {@code k×k} kernel, same stride and padding on both axes, no dilation, one group. */
    public Conv2d(int cin, int cout, int k, int stride, int padding, boolean bias) {
        this(Kernels.get(), new ConvGeometry(cin, cout, k, k, stride, stride, padding, padding, 1, 1, 1), bias);
    }

    /** Any geometry, with the kernels of this JVM ({@link Kernels#get()}); weights start at zero. */
    public Conv2d(ConvGeometry geometry, boolean bias) {
        this(Kernels.get(), geometry, bias);
    }

    /** Any geometry, computed with {@code kernels} (e.g. {@link Kernels#scalar()}); weights start at zero. */
    public Conv2d(Kernels kernels, ConvGeometry geometry, boolean bias) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.geometry = Objects.requireNonNull(geometry, "geometry");
        this.weight = Tensor.zeros(geometry.cout(), geometry.cinPerGroup(), geometry.kh(), geometry.kw());
        this.bias = bias ? Tensor.zeros(geometry.cout()) : null;
    }

    /** The hyper-parameters: channels, kernel, stride, padding, dilation, groups. */
    public ConvGeometry geometry() {
        return geometry;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weight", weight);
        if (bias != null) {
            m.put("bias", bias);
        }
        return m;
    }

    /** Drops the prepared plans so that the next forward or trace reads {@link #weight} again. */
    public void weightsChanged() {
        synchronized (this) {
            plan = null;
            directPlan = null;
            pooledPlan = null;
            inputGradientPlan = null;
        }
    }

    /** Output shape for an input of shape {@code (N, cin, H, W)}: {@code (N, cout, outH, outW)}. */
    public int[] outputShape(int[] inputShape) {
        return new int[] {inputShape[0], geometry.cout(), geometry.outH(inputShape[2]), geometry.outW(inputShape[3])};
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        return forward(x, pool, Epilogue.NONE);
    }

    /**
     * The convolution followed by {@code ep} on every output element (channel = {@code co}; a
     * residual must be laid out like the output, from offset {@code ep.residualOffset()}). When the
     * layer has a bias it is folded in first: {@code ep(acc + bias)} is computed as
     * {@code fma(acc, scale, fma(bias, scale, shift))} for an affine epilogue.
     *
     * @param x  {@code (N, cin, H, W)}, not modified; {@code N = 0} gives an empty output
     * @return   {@code (N, cout, outH, outW)}
     */
    public Tensor forward(Tensor x, ComputePool pool, Epilogue ep) {
        return run(false, x, pool, ep, null);
    }

    /**
     * {@link #forward(Tensor, ComputePool, Epilogue)} written into {@code out}, whose every element
     * is overwritten (its old contents never matter): for callers that reuse their activations'
     * memory from one call to the next. {@code out} must not be {@code x} or the residual.
     *
     * @param out {@code (N, cout, outH, outW)}
     * @return    {@code out}
     */
    public Tensor forward(Tensor x, ComputePool pool, Epilogue ep, Tensor out) {
        return run(false, x, pool, ep, out);
    }

    /**
     * {@link #forward(Tensor, ComputePool, Epilogue, Tensor)} by the given algorithm; {@code out} may
     * be null, for a new tensor.
     */
    public Tensor forward(Tensor x, ComputePool pool, Epilogue ep, Tensor out, Algorithm algorithm) {
        return run(algorithm == Algorithm.DIRECT, x, pool, ep, out);
    }

    /**
     * {@code then.forward(forward(x, pool, ep))} in one pass, where the kernels have one
     * ({@link Kernels#planConvMaxPool}: ResNet's stem and its max pooling): the same values, without
     * the convolution's whole output in memory. Where they have none, or {@code ep} has a residual,
     * this writes nothing and returns false, and the caller runs the two steps. It serves either
     * {@link Algorithm}: the kernels have no such pass for a convolution they would run by Winograd.
     *
     * @param out the pooled output, {@code (N, cout, pooledH, pooledW)}, not {@code x}
     * @return    whether {@code out} was written
     */
    public boolean forwardMaxPooled(Tensor x, ComputePool pool, Epilogue ep, MaxPool2d then, Tensor out) {
        x.requireShape("Conv2d input", -1, geometry.cin(), -1, -1);
        int n = x.dim(0), h = x.dim(2), w = x.dim(3);
        geometry.checkInput(h, w);
        Epilogue full = withBias(ep);
        if (full.residual() != null) {
            return false;
        }
        Kernels.ConvPoolPlan p = pooledPlan(then);
        if (p == null) {
            return false;
        }
        int ph = then.outSize(geometry.outH(h)), pw = then.outSize(geometry.outW(w));
        if (ph < 1 || pw < 1) {
            throw new IllegalArgumentException("MaxPool2d input " + geometry.outH(h) + "x" + geometry.outW(w)
                    + " is too small for kernel " + then.kernelSize() + " with padding " + then.padding());
        }
        out.requireShape("pooled Conv2d output", n, geometry.cout(), ph, pw);
        if (out.data() == x.data()) {
            throw new IllegalArgumentException("Conv2d output must not share memory with its input");
        }
        if (n > 0) {
            p.run(pool, x.data(), n, h, w, full, out.data());
        }
        return true;
    }

    /** A fused plan and the pooling it was made for; {@code plan} null when the kernels have none. */
    private record PooledPlan(int k, int stride, int pad, Kernels.ConvPoolPlan plan) {
        boolean isFor(MaxPool2d pool) {
            return k == pool.kernelSize() && stride == pool.stride() && pad == pool.padding();
        }
    }

    private Kernels.ConvPoolPlan pooledPlan(MaxPool2d then) {
        PooledPlan p = pooledPlan;
        if (p == null || !p.isFor(then)) {
            synchronized (this) {
                p = pooledPlan;
                if (p == null || !p.isFor(then)) {
                    pooledPlan = p = new PooledPlan(then.kernelSize(), then.stride(), then.padding(),
                            kernels.planConvMaxPool(geometry, weight.data(), then.kernelSize(), then.stride(), then.padding()));
                }
            }
        }
        return p.plan;
    }

    /**
     * Packs (and for Winograd, transforms) the weights now as the first {@link #forward} on
     * {@code h×w} inputs would, so that it does not pay for it; for a program about to run one
     * picture, this can overlap other start-up work. Thread-safe; outputs are the same either way.
     */
    public void prepare(int h, int w) {
        prepare(h, w, Algorithm.FASTEST);
    }

    /** {@link #prepare(int, int)} for forward passes by {@code algorithm}. */
    public void prepare(int h, int w, Algorithm algorithm) {
        plan(algorithm == Algorithm.DIRECT).prepare(h, w);
    }

    private Tensor run(boolean direct, Tensor x, ComputePool pool, Epilogue ep, Tensor out) {
        x.requireShape("Conv2d input", -1, geometry.cin(), -1, -1);
        int n = x.dim(0), h = x.dim(2), w = x.dim(3);
        geometry.checkInput(h, w);
        Tensor y;
        if (out == null) {
            y = Tensor.zeros(n, geometry.cout(), geometry.outH(h), geometry.outW(w));
        } else {
            y = out.requireShape("Conv2d output", n, geometry.cout(), geometry.outH(h), geometry.outW(w));
            if (y.data() == x.data() || y.data() == ep.residual()) {
                throw new IllegalArgumentException("Conv2d output must not share memory with its input or residual");
            }
        }
        if (ep.residual() != null && ep.residual().length - ep.residualOffset() < y.size()) {
            throw new IllegalArgumentException("Conv2d residual holds " + (ep.residual().length - ep.residualOffset())
                    + " elements from its offset, the output " + y + " needs " + y.size());
        }
        if (n == 0) {
            return y; // an empty batch: nothing to compute (the kernels assume N >= 1)
        }
        plan(direct).run(pool, x.data(), n, h, w, y.data(), withBias(ep));
        return y;
    }

    /**
     * The forward pass kept for {@link Traced#backward}: the output is {@code forward(x, pool)},
     * bit for bit, with no batch-norm folded in (in training the batch-norm is its own layer). Like
     * the forward it runs on packed weights: after an optimizer step, call {@link #weightsChanged()}
     * first.
     */
    public Trace trace(Tensor x, ComputePool pool) {
        return trace(x, pool, false);
    }

    /**
     * As {@link #trace(Tensor, ComputePool)}; when {@code direct}, the output is computed by the
     * direct algorithm ({@link Algorithm#DIRECT}, {@link Kernels#planConv2dDirect}: no Winograd, so it
     * rounds as PyTorch's training does). Training mode uses it; eval mode keeps inference's bits.
     */
    public Trace trace(Tensor x, ComputePool pool, boolean direct) {
        return new Trace(this, x, run(direct, x, pool, Epilogue.NONE, null));
    }

    /** A traced convolution: its input and output. */
    public record Trace(Conv2d layer, Tensor input, Tensor output) implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            return layer.backward(this, gradOutput, grads, pool, true);
        }

        /** As {@link #backward}, returning null and skipping the work of dX when {@code inputGradient} is false. */
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool, boolean inputGradient) {
            return layer.backward(this, gradOutput, grads, pool, inputGradient);
        }
    }

    /**
     * The three gradients, per group {@code g}, with {@code dY} seen as {@code (cout, N·P)} and the input
     * as its columns {@code X̂ (cin·kh·kw, N·P)} ({@link ConvColumns}):
     *
     * <pre>
     *   dW_g = dY_g · X̂_gᵀ          (cout/groups, K)      added into grads.of(weight) ({@link Kernels#convWeightGradient})
     *   db   = Σ_{n,p} dY[n, co, p]                       added into grads.of(bias)
     *   dX̂_g = W_gᵀ · dY_g          (K, N·P), scattered back onto the pixels it came from (col2im)
     * </pre>
     *
     * Where the kernels offer one (stride 1, see {@link #inputGradientPlan}), dX comes from a
     * convolution of dY instead: the same sums in the same order, bit for bit, without building dX̂.
     * A frozen weight or bias (not tracked) is skipped.
     * Every sum has a fixed order whatever the pool's size.
     */
    private Tensor backward(Trace t, Tensor dy, Gradients grads, ComputePool pool, boolean inputGradient) {
        Tensor x = t.input();
        dy.requireShape("Conv2d output gradient", t.output().shape());
        int n = x.dim(0), h = x.dim(2), w = x.dim(3);
        ConvGeometry g = geometry;
        int cout = g.cout(), p = g.outH(h) * g.outW(w), np = n * p;
        int groups = g.groups(), opg = g.coutPerGroup(), k = g.patchSize();
        float[] dyData = dy.data();
        float[] dWeight = grads.of(weight);
        if (dWeight != null && n > 0) {
            float[] dw = new float[cout * k];
            for (int gi = 0; gi < groups; gi++) {
                kernels.convWeightGradient(pool, g, gi, dyData, x.data(), n, h, w, dw, gi * opg * k);
            }
            for (int i = 0; i < dw.length; i++) {
                dWeight[i] += dw[i];
            }
        }
        float[] dBias = bias == null ? null : grads.of(bias);
        if (dBias != null) {
            pool.parallelFor(cout, co -> {
                double s = 0;
                for (int b = 0; b < n; b++) {
                    for (int q = (b * cout + co) * p, end = q + p; q < end; q++) {
                        s += dyData[q];
                    }
                }
                dBias[co] += (float) s;
            });
        }
        if (!inputGradient) {
            return null;
        }
        Tensor dx = Tensor.zeros(x.shape());
        if (n == 0) {
            return dx;
        }
        Kernels.Conv2dPlan transposed = inputGradientPlan();
        if (transposed != null) {
            transposed.run(pool, dyData, n, t.output().dim(2), t.output().dim(3), dx.data(), Epilogue.NONE);
            return dx;
        }
        float[] dyT = new float[cout * np];   // (cout, N·P)
        pool.parallelFor(cout, co -> {
            for (int b = 0; b < n; b++) {
                System.arraycopy(dyData, (b * cout + co) * p, dyT, co * np + b * p, p);
            }
        });
        float[] wt = new float[cout * k];    // per group, W_gᵀ (K, cout/groups)
        float[] wd = weight.data();
        for (int gi = 0; gi < groups; gi++) {
            for (int o = 0; o < opg; o++) {
                for (int r = 0; r < k; r++) {
                    wt[gi * k * opg + r * opg + o] = wd[(gi * opg + o) * k + r];
                }
            }
        }
        float[] dcol = new float[groups * k * np];
        for (int gi = 0; gi < groups; gi++) {
            kernels.sgemm(pool, k, np, opg, wt, gi * k * opg, opg, dyT, gi * opg * np, np, false,
                    dcol, gi * k * np, np, Epilogue.NONE);
        }
        ConvColumns.col2imAdd(pool, g, dcol, n, h, w, dx.data());
        return dx;
    }

    private Epilogue withBias(Epilogue ep) {
        if (bias == null) {
            return ep;
        }
        float[] b = bias.data();
        float[] shift = new float[b.length];
        for (int c = 0; c < b.length; c++) {
            if (ep.scale() != null) {
                shift[c] = Math.fma(b[c], ep.scale()[c], ep.shift() == null ? 0f : ep.shift()[c]);
            } else {
                shift[c] = ep.shift() == null ? b[c] : b[c] + ep.shift()[c];
            }
        }
        return new Epilogue(ep.scale(), shift, true, ep.residual(), ep.residualOffset(), ep.relu());
    }

    /**
     * dX's plan ({@link Kernels#planConvInputGradient}: with stride 1, the input gradient is itself a
     * convolution, of dY by the weights with input and output channels swapped, and runs as fast as
     * the forward pass, to the bits of the columns path below). Made once per weight change, like the
     * forward plans; null where the kernels have none, and then the columns are used.
     */
    private Kernels.Conv2dPlan inputGradientPlan() {
        Kernels.Conv2dPlan p = inputGradientPlan;
        if (p == null) {
            synchronized (this) {
                p = inputGradientPlan;
                if (p == null) {
                    inputGradientPlan = p = kernels.planConvInputGradient(geometry, weight.data());
                }
            }
        }
        return p;
    }

    private Kernels.Conv2dPlan plan(boolean direct) {
        Kernels.Conv2dPlan p = direct ? directPlan : plan;
        if (p == null) {
            synchronized (this) {
                p = direct ? directPlan : plan;
                if (p == null) {
                    if (direct) {
                        directPlan = p = kernels.planConv2dDirect(geometry, weight.data());
                    } else {
                        plan = p = kernels.planConv2d(geometry, weight.data());
                    }
                }
            }
        }
        return p;
    }

    @Override
    public String toString() {
        return "Conv2d(" + geometry.cin() + ", " + geometry.cout() + ", kernel=" + geometry.kh() + "x" + geometry.kw()
                + ", stride=" + geometry.strideH() + "x" + geometry.strideW() + ", padding=" + geometry.padH() + "x"
                + geometry.padW() + (geometry.dilH() > 1 || geometry.dilW() > 1 ? ", dilation=" + geometry.dilH() + "x"
                + geometry.dilW() : "") + (geometry.groups() > 1 ? ", groups=" + geometry.groups() : "")
                + (bias == null ? ", bias=False" : "") + ")";
    }
}
