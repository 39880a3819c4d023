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

    private final ConvGeometry geometry;
    private final Kernels kernels;
    private volatile Kernels.Conv2dPlan plan;

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

    /** Drops the prepared plan so that the next forward reads {@link #weight} again. */
    public void weightsChanged() {
        synchronized (this) {
            plan = null;
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
        x.requireShape("Conv2d input", -1, geometry.cin(), -1, -1);
        int n = x.dim(0), h = x.dim(2), w = x.dim(3);
        geometry.checkInput(h, w);
        Tensor y = Tensor.zeros(n, geometry.cout(), geometry.outH(h), geometry.outW(w));
        if (ep.residual() != null && ep.residual().length - ep.residualOffset() < y.size()) {
            throw new IllegalArgumentException("Conv2d residual holds " + (ep.residual().length - ep.residualOffset())
                    + " elements from its offset, the output " + y + " needs " + y.size());
        }
        if (n == 0) {
            return y; // an empty batch: nothing to compute (the kernels assume N >= 1)
        }
        plan().run(pool, x.data(), n, h, w, y.data(), withBias(ep));
        return y;
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

    private Kernels.Conv2dPlan plan() {
        Kernels.Conv2dPlan p = plan;
        if (p == null) {
            synchronized (this) {
                p = plan;
                if (p == null) {
                    plan = p = kernels.planConv2d(geometry, weight.data());
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
