package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static vecnet.layers.testing.ConvTrainingFixtures.closeToTorch;
import static vecnet.layers.testing.ConvTrainingFixtures.tensor;

import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * Every backward of the convolutional side against PyTorch 1.13 ({@code conv_training.safetensors}) at
 * awkward shapes: the output, the input gradient and each parameter's gradient within
 * 1e-4·max(1, |ref|); with the scalar and the vector kernels; bit-identical with 1, 2 and 3 threads.
 */
class ConvTrainingParityTest extends LibraryTest {
    private static final ComputePool ONE = ComputePool.sequential();
    private static final ComputePool TWO = ComputePool.create(2);
    private static final ComputePool THREE = ComputePool.create(3);
    private static final ComputePool[] POOLS = {ONE, TWO, THREE};
    private static final Kernels[] KERNELS = {Kernels.scalar(), Kernels.get()};

    /** The geometries of make_conv_training_fixtures.py's CONV_CASES, in the same order. */
    private static final String[] CONV_NAMES = {"a", "b", "c", "d", "e"};
    private static final ConvGeometry[] CONV_GEOMETRIES = {
        new ConvGeometry(3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1),
        new ConvGeometry(4, 6, 3, 2, 1, 2, 2, 1, 2, 1, 2),
        new ConvGeometry(5, 3, 1, 1, 2, 2, 0, 0, 1, 1, 1),
        new ConvGeometry(3, 4, 7, 7, 2, 2, 3, 3, 1, 1, 1),
        new ConvGeometry(6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3),
    };
    private static final boolean[] CONV_BIAS = {true, true, false, false, false};

    @AfterAll
    static void close() {
        TWO.close();
        THREE.close();
    }

    /** What one backward produced: dx and the parameter gradients, in a fixed order. */
    private record Result(Tensor dx, float[][] grads) {
    }

    /** Runs {@code f} on 1, 2 and 3 threads; every result must be bit-identical; returns the first. */
    private static Result onEveryPool(String what, Function<ComputePool, Result> f) {
        Result first = null;
        for (ComputePool pool : POOLS) {
            Result r = f.apply(pool);
            if (first == null) {
                first = r;
                continue;
            }
            Check.identical(what + " dx, " + pool, first.dx().data(), r.dx().data());
            for (int i = 0; i < r.grads().length; i++) {
                Check.identical(what + " grad " + i + ", " + pool, first.grads()[i], r.grads()[i]);
            }
        }
        return first;
    }

    private static void copy(Tensor from, Tensor to) {
        assertArrayEquals(from.shape(), to.shape());
        System.arraycopy(from.data(), 0, to.data(), 0, to.size());
    }

    @Test
    void conv2dGradientsMatchPyTorch() {
        for (int c = 0; c < CONV_NAMES.length; c++) {
            String pre = "conv_" + CONV_NAMES[c] + ".";
            ConvGeometry g = CONV_GEOMETRIES[c];
            boolean hasBias = CONV_BIAS[c];
            for (Kernels k : KERNELS) {
                Result r = onEveryPool(pre + k.name(), pool -> {
                    Conv2d conv = new Conv2d(k, g, hasBias);
                    copy(tensor(pre + "weight"), conv.weight);
                    if (hasBias) {
                        copy(tensor(pre + "bias"), conv.bias);
                    }
                    Gradients grads = new Gradients().trackAll(conv.namedTensors().values());
                    Conv2d.Trace t = conv.trace(tensor(pre + "x"), pool);
                    closeToTorch(pre + "y", t.output());
                    Tensor dx = t.backward(tensor(pre + "gy"), grads, pool);
                    return new Result(dx, hasBias ? new float[][] {grads.of(conv.weight), grads.of(conv.bias)}
                            : new float[][] {grads.of(conv.weight)});
                });
                closeToTorch(pre + "dx", r.dx());
                closeToTorch(pre + "dweight", r.grads()[0]);
                if (hasBias) {
                    closeToTorch(pre + "dbias", r.grads()[1]);
                }
            }
        }
    }

    @Test
    void conv2dGradientsAccumulateAndFrozenWeightsAreSkipped() {
        String pre = "conv_a.";
        Conv2d conv = new Conv2d(CONV_GEOMETRIES[0], true);
        copy(tensor(pre + "weight"), conv.weight);
        copy(tensor(pre + "bias"), conv.bias);
        Gradients grads = new Gradients().track(conv.bias);   // the weight is frozen
        for (int step = 0; step < 2; step++) {
            Tensor dx = conv.trace(tensor(pre + "x"), ONE).backward(tensor(pre + "gy"), grads, ONE);
            closeToTorch(pre + "dx", dx);
        }
        assertNull(grads.of(conv.weight));
        float[] twice = tensor(pre + "dbias").data().clone();
        for (int i = 0; i < twice.length; i++) {
            twice[i] *= 2;
        }
        Check.close("dbias after two backward passes", twice, grads.of(conv.bias), 1e-4 * Check.scale(twice), 0);
    }

    private static BatchNorm2d batchNorm(String pre) {
        BatchNorm2d bn = new BatchNorm2d(tensor(pre + "weight").size());
        copy(tensor(pre + "weight"), bn.weight);
        copy(tensor(pre + "bias"), bn.bias);
        copy(tensor(pre + "rm0"), bn.running_mean);
        copy(tensor(pre + "rv0"), bn.running_var);
        bn.num_batches_tracked.data()[0] = 7;
        return bn;
    }

    @Test
    void batchNormTrainingModeMatchesPyTorch() {
        String pre = "bn_train.";
        Result r = onEveryPool(pre, pool -> {
            BatchNorm2d bn = batchNorm(pre);
            Gradients grads = new Gradients().track(bn.weight).track(bn.bias);
            BatchNorm2d.Trace t = bn.trace(tensor(pre + "x"), pool, true);
            closeToTorch(pre + "y", t.output());
            closeToTorch(pre + "rm1", bn.running_mean);
            closeToTorch(pre + "rv1", bn.running_var);
            assertEquals(8f, bn.num_batches_tracked.data()[0], "num_batches_tracked after one training forward");
            Tensor steps = tensor("bn_steps.x");
            int per = steps.size() / steps.dim(0);
            for (int s = 0; s < steps.dim(0); s++) {
                float[] d = new float[per];
                System.arraycopy(steps.data(), s * per, d, 0, per);
                bn.trace(Tensor.of(d, steps.dim(1), steps.dim(2), steps.dim(3), steps.dim(4)), pool, true);
            }
            closeToTorch("bn_steps.rm", bn.running_mean);
            closeToTorch("bn_steps.rv", bn.running_var);
            closeToTorch("bn_steps.nbt", bn.num_batches_tracked.reshape(1));
            Tensor dx = t.backward(tensor(pre + "gy"), grads, pool);
            return new Result(dx, new float[][] {grads.of(bn.weight), grads.of(bn.bias), bn.running_mean.data(),
                bn.running_var.data()});
        });
        closeToTorch(pre + "dx", r.dx());
        closeToTorch(pre + "dweight", r.grads()[0]);
        closeToTorch(pre + "dbias", r.grads()[1]);
    }

    @Test
    void batchNormEvalModeMatchesPyTorchAndForward() {
        String pre = "bn_eval.";
        Result r = onEveryPool(pre, pool -> {
            BatchNorm2d bn = batchNorm(pre);
            Gradients grads = new Gradients().track(bn.weight).track(bn.bias);
            Tensor x = tensor(pre + "x");
            BatchNorm2d.Trace t = bn.trace(x, pool, false);
            Check.identical("eval trace = forward", bn.forward(x, pool).data(), t.output().data());
            closeToTorch(pre + "y", t.output());
            closeToTorch(pre + "rm1", bn.running_mean);
            closeToTorch(pre + "rv1", bn.running_var);
            assertEquals(7f, bn.num_batches_tracked.data()[0], "eval mode leaves num_batches_tracked");
            Tensor dx = t.backward(tensor(pre + "gy"), grads, pool);
            return new Result(dx, new float[][] {grads.of(bn.weight), grads.of(bn.bias)});
        });
        closeToTorch(pre + "dx", r.dx());
        closeToTorch(pre + "dweight", r.grads()[0]);
        closeToTorch(pre + "dbias", r.grads()[1]);
    }

    @Test
    void batchNormTrainingModeRefusesOneValuePerChannel() {
        BatchNorm2d bn = new BatchNorm2d(2);
        assertThrows(IllegalArgumentException.class, () -> bn.trace(Tensor.zeros(1, 2, 1, 1), ONE, true));
    }

    @Test
    void reluGradientMatchesPyTorchAtZero() {
        for (Kernels k : KERNELS) {
            Result r = onEveryPool("relu", pool -> {
                ReLU.Trace t = new ReLU(k).trace(tensor("relu.x"), pool);
                closeToTorch("relu.y", t.output());
                return new Result(t.backward(tensor("relu.gy"), new Gradients(), pool), new float[0][]);
            });
            Check.identical("relu.dx (exact)", tensor("relu.dx").data(), r.dx().data());
        }
    }

    @Test
    void reluInPlaceWritesOverItsInputAndMatchesPyTorch() {
        for (Kernels k : KERNELS) {
            Result r = onEveryPool("relu in place", pool -> {
                Tensor x = tensor("relu.x").copy();
                ReLU.Trace t = new ReLU(k).traceInPlace(x, pool);
                assertSame(x, t.output(), "the output is the input tensor");
                closeToTorch("relu.y", x);
                return new Result(t.backward(tensor("relu.gy"), new Gradients(), pool), new float[0][]);
            });
            Check.identical("relu.dx in place (exact)", tensor("relu.dx").data(), r.dx().data());
        }
    }

    @Test
    void maxPoolRoutesTiesAsPyTorch() {
        String[] names = {"max3s2p1", "max2s2p0", "max3s1p1_zeros"};
        int[][] kernelStridePad = {{3, 2, 1}, {2, 2, 0}, {3, 1, 1}};
        for (int c = 0; c < names.length; c++) {
            String pre = "pool_" + names[c] + ".";
            int[] ksp = kernelStridePad[c];
            for (Kernels k : KERNELS) {
                Result r = onEveryPool(pre, pool -> {
                    MaxPool2d.Trace t = new MaxPool2d(k, ksp[0], ksp[1], ksp[2]).trace(tensor(pre + "x"), pool);
                    Check.identical(pre + "y", tensor(pre + "y").data(), t.output().data());
                    return new Result(t.backward(tensor(pre + "gy"), new Gradients(), pool), new float[0][]);
                });
                closeToTorch(pre + "dx", r.dx());
            }
        }
    }

    @Test
    void maxPoolHandWorkedTies() {
        // training-parity.md: max_pool2d(zeros(3x3), 3, stride 1, padding 1) sends [[4,2,0],[2,1,0],[0,0,0]]
        MaxPool2d.Trace t = new MaxPool2d(3, 1, 1).trace(Tensor.zeros(1, 1, 3, 3), ONE);
        Tensor dx = t.backward(Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3), new Gradients(), ONE);
        assertArrayEquals(new float[] {4, 2, 0, 2, 1, 0, 0, 0, 0}, dx.data());
    }

    @Test
    void maxPoolRoutesSignedZerosAndNaNAsPyTorchsLoop() {
        // windows 2×2 stride 2: {-0, 0, 0, -0} -> the first (-0.0 is not below 0.0); {NaN, 1, 2, NaN} -> the last
        // NaN; {3, 3, 3, 3} -> the first. PyTorch's CPU loop: update when (v > max || isnan(v)).
        float nan = Float.NaN;
        Tensor x = Tensor.of(new float[] {-0f, 0f, nan, 1, 3, 3, 0f, -0f, 2, nan, 3, 3}, 1, 1, 2, 6);
        for (Kernels k : KERNELS) {
            Result r = onEveryPool("signed zeros and NaN, " + k.name(), pool -> {
                MaxPool2d.Trace t = new MaxPool2d(k, 2, 2, 0).trace(x, pool);
                return new Result(t.backward(Tensor.of(new float[] {1, 2, 4}, 1, 1, 1, 3), new Gradients(), pool),
                        new float[0][]);
            });
            assertArrayEquals(new float[] {1, 0, 0, 0, 4, 0, 0, 0, 0, 2, 0, 0}, r.dx().data(), k.name());
        }
    }

    @Test
    void adaptiveAvgPoolGradientMatchesPyTorch() {
        String[] names = {"avg11", "avg23"};
        int[][] outs = {{1, 1}, {2, 3}};
        for (int c = 0; c < names.length; c++) {
            String pre = "pool_" + names[c] + ".";
            int[] o = outs[c];
            for (Kernels k : KERNELS) {
                Result r = onEveryPool(pre, pool -> {
                    AdaptiveAvgPool2d.Trace t = new AdaptiveAvgPool2d(k, o[0], o[1]).trace(tensor(pre + "x"), pool);
                    closeToTorch(pre + "y", t.output());
                    return new Result(t.backward(tensor(pre + "gy"), new Gradients(), pool), new float[0][]);
                });
                closeToTorch(pre + "dx", r.dx());
            }
        }
    }
}
