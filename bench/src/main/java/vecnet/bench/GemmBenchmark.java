package vecnet.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
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
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;

/**
 * sgemm C = A·B: the Vector API kernel, its scalar twin and EJML on the same matrices.
 *
 * <p>{@code shape} is {@code MxNxK}: the squares, plus the GEMMs of ResNet-18's convolutions at 224²
 * (M = output channels, N = output pixels, K = input channels × kernel area). GFLOP/s = 2·M·N·K / time.
 * Run: {@code java -jar bench/target/benchmarks.jar Gemm -p shape=1024x1024x1024 -p threads=1}; add
 * {@code -jvmArgsAppend -Dvecnet.vectorBits=256} to time the AVX2 kernel on an AVX-512 host.
 *
 * <p>One fork per configuration, because the JIT's view of the kernel (inlining, vector boxing) is
 * decided once per JVM; warm-up is long enough for C2 to compile the micro-kernel. The scalar twin
 * and EJML are slow: restrict them to small shapes with {@code -p} when you are in a hurry.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class GemmBenchmark {

    @Param({"64x64x64", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "64x12544x147", "64x3136x576", "128x784x1152", "256x196x2304", "512x49x4608"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    int m, n, k;
    float[] a, b, c;
    ComputePool pool;
    Kernels vector;
    FMatrixRMaj ea, eb, ec;

    @Setup(Level.Trial)
    public void setup() {
        String[] parts = shape.split("x");
        m = Integer.parseInt(parts[0]);
        n = Integer.parseInt(parts[1]);
        k = Integer.parseInt(parts[2]);
        SplittableRandom rnd = new SplittableRandom(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextDouble(-1, 1);
        }
        pool = ComputePool.create(threads);
        vector = Kernels.get();
        if (!vector.name().startsWith("vector")) {
            throw new IllegalStateException("the Vector API kernels are not active (" + vector.name() + ")");
        }
        ea = FMatrixRMaj.wrap(m, k, a);
        eb = FMatrixRMaj.wrap(k, n, b);
        ec = new FMatrixRMaj(m, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] vector() {
        vector.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, c, 0, n, Epilogue.NONE);
        return c;
    }

    @Benchmark
    public float[] scalar() {
        Kernels.scalar().sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, c, 0, n, Epilogue.NONE);
        return c;
    }

    /** EJML is single-threaded: its figure is the same for both thread counts. */
    @Benchmark
    public FMatrixRMaj ejml() {
        CommonOps_FDRM.mult(ea, eb, ec);
        return ec;
    }
}
