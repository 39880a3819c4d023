package vecnet.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;

/**
 * One convolution of ResNet-18 at 224², batch 1 (or {@code batch}), with batch-norm, residual and ReLU in the epilogue:
 * where the forward pass spends its time, layer by layer, and what a second thread buys in each.
 *
 * <p>{@code layer}: {@code stem} (7×7/2, 3→64 at 224²), {@code l1} (3×3, 64 at 56²), {@code l2} (3×3,
 * 128 at 28²), {@code l3} (256 at 14²), {@code l4} (512 at 7²), and {@code l2down}, {@code l3down},
 * {@code l4down} (the 3×3/2 convolution that opens the stage). The {@code stem} case times the
 * generic implicit GEMM; ResNet-18's forward pass runs its stem fused with the max pooling after it
 * ({@code Kernels.planConvMaxPool}, {@code bench/ab.sh}'s {@code stempool} case), which is faster.
 * The 3×3 stride-1 ones run Winograd (F(4×4, 3×3), F(2×2, 3×3) on the 7×7 maps) on the Vector API
 * kernels. To read a time as GFLOP/s, count the direct convolution's work, 2·cout·cin·kh·kw·pixels
 * (so Winograd's show as more than the FMA ceiling).
 * Run: {@code java -jar bench/target/benchmarks.jar ConvBenchmark -p threads=1,2}; add
 * {@code -p copies=8} to read the weights from memory at each call as a forward pass does,
 * {@code -p algorithm=direct} for the implicit GEMM where Winograd would run, {@code -p batch=8} for a batch, and
 * {@code -jvmArgsAppend "--add-modules=jdk.incubator.vector -Dvecnet.vectorBits=256"} for the AVX2
 * code on an AVX-512 host (arguments given there replace the fork's own, so the module must be named
 * again).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class ConvBenchmark {
    @Param({"stem", "l1", "l2down", "l2", "l3down", "l3", "l4down", "l4"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    /**
     * How many copies of the layer (each its own weights) the calls cycle through: 1 keeps the
     * weights in cache between calls; 8 makes each call read its weights from memory, as in a forward
     * pass, where the layers' weights together far exceed the caches.
     */
    @Param({"1"})
    public int copies;

    /** Pictures per call: 8 shows what the threads do with work enough for both. */
    @Param({"1"})
    public int batch;

    /** {@code auto}: the plan a model gets (Winograd where it applies); {@code direct}: the implicit GEMM. */
    @Param({"auto"})
    public String algorithm;

    Kernels.Conv2dPlan[] plans;
    int next;
    float[] x, y;
    int h, w;
    Epilogue ep;
    ComputePool pool;

    @Setup(Level.Trial)
    public void setup() {
        int[] s = AbSubject.convLayer(layer); // {cin, cout, kernel, stride, pad, input side}
        ConvGeometry g = ConvGeometry.square(s[0], s[1], s[2], s[3], s[4]);
        h = w = s[5];
        SplittableRandom rnd = new SplittableRandom(7);
        x = AbSubject.random(rnd, batch * s[0] * h * w);
        y = new float[batch * s[1] * g.outH(h) * g.outW(w)];
        float[] scale = AbSubject.random(rnd, s[1]), shift = AbSubject.random(rnd, s[1]);
        float[] residual = AbSubject.random(rnd, y.length);
        ep = Epilogue.rowAffine(scale, shift).withResidual(residual, 0).withRelu();
        plans = new Kernels.Conv2dPlan[copies];
        for (int i = 0; i < copies; i++) {
            float[] weight = AbSubject.random(rnd, g.weightSize());
            plans[i] = switch (algorithm) {
                case "auto" -> Kernels.get().planConv2d(g, weight);
                case "direct" -> Kernels.get().planConv2dDirect(g, weight);
                default -> throw new IllegalArgumentException("unknown algorithm " + algorithm + " (auto or direct)");
            };
        }
        pool = ComputePool.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] conv() {
        Kernels.Conv2dPlan plan = plans[next];
        next = (next + 1) % copies;
        plan.run(pool, x, batch, h, w, y, ep);
        return y;
    }
}
