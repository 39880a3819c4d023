package vecnet.multimodal;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.BatchNorm2d;
import vecnet.layers.Conv2d;
import vecnet.layers.Gradients;
import vecnet.layers.ReLU;
import vecnet.layers.Traced;

/**
 * torchvision's ResNet {@code BasicBlock}, in eval mode:
 *
 * <pre>
 *   out = relu( bn2(conv2( relu(bn1(conv1(x))) )) + identity )
 *   identity = downsample(x) = bn(conv1x1_stride(x))   when the block changes size, else x
 *   x (N, cin, H, W) -> out (N, cout, ceil(H/stride), ceil(W/stride))
 * </pre>
 *
 * {@code conv1} is 3×3 with the block's stride, {@code conv2} 3×3 stride 1, both padding 1 and no
 * bias. Each batch-norm is folded into its convolution's epilogue, so the block makes two passes
 * over memory (three with a downsample branch): {@code conv1→bn1→relu}, {@code downsample} when there
 * is one, and {@code conv2→bn2→+identity→relu}. For training, {@link #trace} runs each layer on its
 * own and keeps what {@link Trace#backward} needs. State_dict keys: {@code conv1.weight}, {@code bn1.*},
 * {@code conv2.weight}, {@code bn2.*}, and {@code downsample.0.weight}, {@code downsample.1.*}.
 */
final class BasicBlock implements HasStateDict {
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    /** The 1×1 projection of the identity branch, or null. */
    public final Conv2d downsample0;
    /** Its batch-norm, or null. */
    public final BatchNorm2d downsample1;

    private final int stride;
    private final ReLU relu;

    /** A block from {@code cin} to {@code cout} channels; a downsample branch is made when {@code withDownsample}. */
    public BasicBlock(Kernels kernels, int cin, int cout, int stride, boolean withDownsample) {
        if (!withDownsample && (stride != 1 || cin != cout)) {
            throw new IllegalArgumentException("a BasicBlock from " + cin + " to " + cout + " channels with stride "
                    + stride + " needs a downsample branch");
        }
        this.stride = stride;
        this.relu = new ReLU(kernels);
        this.conv1 = new Conv2d(kernels, ConvGeometry.square(cin, cout, 3, stride, 1), false);
        this.bn1 = new BatchNorm2d(cout);
        this.conv2 = new Conv2d(kernels, ConvGeometry.square(cout, cout, 3, 1, 1), false);
        this.bn2 = new BatchNorm2d(cout);
        this.downsample0 = withDownsample ? new Conv2d(kernels, ConvGeometry.square(cin, cout, 1, stride, 0), false) : null;
        this.downsample1 = withDownsample ? new BatchNorm2d(cout) : null;
    }

    public int stride() {
        return stride;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        put(m, "conv1.", conv1);
        put(m, "bn1.", bn1);
        put(m, "conv2.", conv2);
        put(m, "bn2.", bn2);
        if (downsample0 != null) {
            put(m, "downsample.0.", downsample0);
            put(m, "downsample.1.", downsample1);
        }
        return m;
    }

    static void put(Map<String, Tensor> m, String prefix, HasStateDict child) {
        child.namedTensors().forEach((k, v) -> m.put(prefix + k, v));
    }

    /** The convolutions and batch-norms, for {@link ResNet18#weightsChanged()}. */
    @Override
    public void weightsChanged() {
        conv1.weightsChanged();
        bn1.weightsChanged();
        conv2.weightsChanged();
        bn2.weightsChanged();
        if (downsample0 != null) {
            downsample0.weightsChanged();
            downsample1.weightsChanged();
        }
    }

    /**
     * The forward pass kept for {@link Traced#backward}, each layer on its own (the batch-norms use
     * batch statistics and update their running ones when {@code training}, see
     * {@link BatchNorm2d#trace}). In eval mode the output equals {@link #forward} bit for bit.
     *
     * <p>As torchvision's {@code ReLU(inplace=True)}, the ReLUs and the residual add write over the
     * batch-norms' outputs (their backward passes read their inputs), so that the trace keeps four
     * activations of the block's size instead of six (six instead of eight with a downsample):
     * {@code bn1().output()} holds the first ReLU's output and {@code bn2().output()} the block's.
     */
    public Trace trace(Tensor x, ComputePool pool, boolean training) {
        Conv2d.Trace c1 = conv1.trace(x, pool, training);
        BatchNorm2d.Trace b1 = bn1.trace(c1.output(), pool, training);
        ReLU.Trace r1 = relu.traceInPlace(b1.output(), pool);
        Conv2d.Trace c2 = conv2.trace(r1.output(), pool, training);
        BatchNorm2d.Trace b2 = bn2.trace(c2.output(), pool, training);
        Conv2d.Trace d0 = null;
        BatchNorm2d.Trace d1 = null;
        Tensor identity = x;
        if (downsample0 != null) {
            d0 = downsample0.trace(x, pool, training);
            d1 = downsample1.trace(d0.output(), pool, training);
            identity = d1.output();
        }
        Tensor out = b2.output();   // overwritten: bn2's backward reads its input, not its output
        float[] o = out.data(), id = identity.data();
        elementwise(pool, o.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = o[i] + id[i];   // as Epilogue.apply: residual, then ReLU
                o[i] = v < 0f ? 0f : v;
            }
        });
        return new Trace(x.shape(), c1, b1, r1, c2, b2, d0, d1, out);
    }

    /**
     * A traced block: the trace of every layer, the downsample's null without that branch. Backward:
     * {@code dsum = dout · [out > 0]}; the main branch back-propagates {@code dsum} through
     * bn2, conv2, relu, bn1, conv1; the identity branch passes it on (or through the downsample);
     * {@code dx} is the sum of the two.
     */
    public record Trace(int[] inputShape, Conv2d.Trace conv1, BatchNorm2d.Trace bn1, ReLU.Trace relu1,
                        Conv2d.Trace conv2, BatchNorm2d.Trace bn2, Conv2d.Trace downsample0,
                        BatchNorm2d.Trace downsample1, Tensor output) implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            gradOutput.requireShape("BasicBlock output gradient", output.shape());
            float[] y = output.data(), dy = gradOutput.data();
            Tensor dsum = Tensor.zeros(output.shape());
            float[] ds = dsum.data();
            elementwise(pool, ds.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    ds[i] = y[i] > 0f ? dy[i] : 0f;
                }
            });
            Tensor d = bn2.backward(dsum, grads, pool);
            d = conv2.backward(d, grads, pool);
            d = relu1.backward(d, grads, pool);
            d = bn1.backward(d, grads, pool);
            Tensor dx = conv1.backward(d, grads, pool);
            Tensor dIdentity = dsum;
            if (downsample0 != null) {
                dIdentity = downsample0.backward(downsample1.backward(dsum, grads, pool), grads, pool);
            }
            float[] a = dx.data(), b = dIdentity.data();
            elementwise(pool, a.length, (from, to) -> {
                for (int i = from; i < to; i++) {
                    a[i] += b[i];
                }
            });
            return dx;
        }
    }

    /** A loop over {@code [from, to)} of an elementwise operation. */
    private interface Range {
        void run(int from, int to);
    }

    /** {@code body} over {@code [0, len)}, cut into one contiguous range per thread (none below 16K elements). */
    private static void elementwise(ComputePool pool, int len, Range body) {
        int parts = Math.max(1, Math.min(pool.threads(), len >> 14));
        pool.parallelFor(parts, part -> body.run(ComputePool.splitStart(len, parts, part),
                ComputePool.splitStart(len, parts, part + 1)));
    }

    /** {@code x (N, cin, H, W)} -> {@code (N, cout, H', W')}; see the class comment. */
    public Tensor forward(Tensor x, ComputePool pool) {
        Tensor y = conv1.forward(x, pool, bn1.asEpilogue().withRelu());
        Tensor identity = downsample0 == null ? x : downsample0.forward(x, pool, downsample1.asEpilogue());
        Epilogue last = bn2.asEpilogue().withResidual(identity.data(), 0).withRelu();
        return conv2.forward(y, pool, last);
    }

    /** {@link Conv2d#prepare} for every convolution of the block, for {@code h×w} inputs; returns the output's {@code {h, w}}. */
    int[] prepare(int h, int w, Conv2d.Algorithm algorithm) {
        conv1.prepare(h, w, algorithm);
        ConvGeometry g = conv1.geometry();
        conv2.prepare(g.outH(h), g.outW(w), algorithm);
        if (downsample0 != null) {
            downsample0.prepare(h, w, algorithm);
        }
        return new int[] {g.outH(h), g.outW(w)};
    }

    /**
     * {@link #forward(Tensor, ComputePool)} by {@code algorithm}, with its activations in {@code buffers};
     * {@code x} is left to the caller.
     */
    Tensor forward(Tensor x, ComputePool pool, ActivationBuffers buffers, Conv2d.Algorithm algorithm) {
        Tensor y = conv1.forward(x, pool, bn1.asEpilogue().withRelu(), buffers.take(conv1.outputShape(x.shape())), algorithm);
        Tensor identity = downsample0 == null ? x : downsample0.forward(x, pool, downsample1.asEpilogue(),
                buffers.take(downsample0.outputShape(x.shape())), algorithm);
        Epilogue last = bn2.asEpilogue().withResidual(identity.data(), 0).withRelu();
        Tensor out = conv2.forward(y, pool, last, buffers.take(conv2.outputShape(y.shape())), algorithm);
        buffers.give(y);
        if (identity != x) {
            buffers.give(identity);
        }
        return out;
    }
}
