package vecnet.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.TextEncoder;
import vecnet.weights.StateDict;

/**
 * One {@link Cases case} on vecnet, loaded from the exported safetensors of a directory, on its own
 * pool of {@code threads} threads. {@link #run()} is what is timed: one forward pass (or one sgemm).
 */
public final class VecnetCase implements AutoCloseable {
    static final int GEMM = 1024;

    private final String name;
    private final ComputePool pool;
    private ResNet18 resnet;
    private FusionModel fusion;
    private TextEncoder text;
    private Tensor image;
    private int[][] ids;
    private float[] a, b, c;

    /**
     * @param dir     directory written by compare_export.py
     * @param name    one of {@link Cases#NAMES}
     * @param threads compute threads
     * @param gemmInputs for gemm_1024: true reads A and B from inputs.safetensors (for the parity check),
     *                false fills them with seeded random values (timing does not depend on them)
     */
    public VecnetCase(Path dir, String name, int threads, boolean gemmInputs) throws IOException {
        this.name = name;
        this.pool = ComputePool.create(threads);
        StateDict inputs = name.equals("gemm_1024") && !gemmInputs ? null : Cases.inputs(dir);
        switch (name) {
            case "resnet18_b1":
            case "resnet18_b8":
                resnet = ResNet18.load(dir.resolve("resnet18.safetensors")).withPool(pool);
                image = Cases.image(inputs, name);
                break;
            case "fusion_t16":
                fusion = FusionModel.load(dir.resolve("fusion.safetensors")).withPool(pool);
                image = Cases.image(inputs, name);
                ids = Cases.ids(Cases.tokens(inputs, name));
                break;
            case "text_t16":
            case "text_t128":
                text = TextEncoder.fromStateDict(StateDict.read(dir.resolve("fusion.safetensors")));
                ids = Cases.ids(Cases.tokens(inputs, name));
                break;
            case "gemm_1024":
                if (inputs != null) {
                    a = inputs.tensor("gemm_a").data();
                    b = inputs.tensor("gemm_b").data();
                } else {
                    SplittableRandom rnd = new SplittableRandom(42);
                    a = new float[GEMM * GEMM];
                    b = new float[GEMM * GEMM];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (float) rnd.nextDouble(-1, 1);
                        b[i] = (float) rnd.nextDouble(-1, 1);
                    }
                }
                c = new float[GEMM * GEMM];
                break;
            default:
                throw new IllegalArgumentException("unknown case '" + name + "', expected one of " + Cases.NAMES);
        }
    }

    /** The case's output: logits (N, classes), text features (1, 256) or C (1024, 1024). */
    public Tensor run() {
        switch (name) {
            case "resnet18_b1":
            case "resnet18_b8":
                return resnet.classify(image);
            case "fusion_t16":
                return fusion.predict(image, ids);
            case "text_t16":
            case "text_t128":
                return text.encode(ids, pool);
            default:
                Kernels.get().sgemm(pool, GEMM, GEMM, GEMM, a, 0, GEMM, b, 0, GEMM, false, c, 0, GEMM, Epilogue.NONE);
                return Tensor.of(c, GEMM, GEMM);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
