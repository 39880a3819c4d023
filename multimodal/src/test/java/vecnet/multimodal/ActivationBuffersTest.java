package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;
import vecnet.weights.StateDict;

/**
 * {@link ResNet18#features} reuses its activations' memory from call to call ({@link ActivationBuffers}):
 * stale contents never reach a result, on either kernel set, for any sequence of picture sizes and
 * from several threads at once; and a warmed-up call no longer allocates its activations.
 */
class ActivationBuffersTest extends LibraryTest {

    /** A full-width ResNet-18 (64-512 channels, 10 classes) with seeded random weights and statistics. */
    static StateDict randomResNet(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> sd = new HashMap<>();
        ResNet18.untrained(10).namedTensors().forEach((name, t) -> {
            float[] v = new float[t.size()];
            boolean variance = name.endsWith("running_var");
            for (int i = 0; i < v.length; i++) {
                v[i] = variance ? (float) (0.5 + rnd.nextDouble()) : (float) ((rnd.nextDouble() - 0.5) * 0.2);
            }
            if (name.endsWith("num_batches_tracked")) {
                v = new float[t.size()];
            }
            sd.put(name, Tensor.of(v, t.shape()));
        });
        return StateDict.of(sd);
    }

    static Tensor picture(long seed, int n, int side) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n * 3 * side * side];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextDouble() * 4 - 2);
        }
        return Tensor.of(v, n, 3, side, side);
    }

    @Test
    void givenArraysAreTakenAgainUpToTheCap() {
        ActivationBuffers b = new ActivationBuffers();
        Tensor x = b.take(2, 3);
        b.give(x);
        assertSame(x.data(), b.take(3, 2).data(), "an array given back is taken again for the same size");
        assertNotSame(x.data(), b.take(3, 2).data(), "and only once");
        int[] big = {(int) (ActivationBuffers.MAX_BYTES / 4 / 3) + 1}; // three of these pass the cap
        Tensor[] t = {b.take(big), b.take(big), b.take(big)};
        for (Tensor each : t) {
            b.give(each);
        }
        assertSame(t[1].data(), b.take(big).data(), "the last array given back within the cap");
        assertSame(t[0].data(), b.take(big).data());
        assertNotSame(t[2].data(), b.take(big).data(), "past the cap, left to the collector");
    }

    @Test
    void staleActivationsNeverReachAResult() {
        StateDict weights = randomResNet(5);
        for (Kernels kernels : new Kernels[] {Kernels.scalar(), Kernels.get()}) {
            Tensor a = picture(1, 1, 64), b = picture(2, 2, 48), c = picture(3, 1, 64);
            // Expected: each picture on a model of its own, whose arrays are all new.
            float[] fa = ResNet18.fromStateDict(weights, kernels).features(a).data();
            float[] fb = ResNet18.fromStateDict(weights, kernels).features(b).data();
            float[] fc = ResNet18.fromStateDict(weights, kernels).features(c).data();
            ResNet18 reused = ResNet18.fromStateDict(weights, kernels);
            try (ComputePool two = ComputePool.create(2)) {
                ResNet18 reusedTwo = reused.withPool(two);
                for (int round = 0; round < 2; round++) {
                    Check.identical(kernels + " a, round " + round, fa, reused.features(a).data());
                    Check.identical(kernels + " c after a", fc, reused.features(c).data());
                    Check.identical(kernels + " b after c (other size and batch)", fb, reusedTwo.features(b).data());
                    Check.identical(kernels + " a after b", fa, reusedTwo.features(a).data());
                }
            }
        }
    }

    @Test
    void threadsCallingAtOnceEachGetTheirOwnAnswer() throws Exception {
        ResNet18 model = ResNet18.fromStateDict(randomResNet(6));
        List<Tensor> pictures = List.of(picture(11, 1, 64), picture(12, 1, 56), picture(13, 2, 64));
        float[][] expected = new float[pictures.size()][];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = ResNet18.fromStateDict(randomResNet(6)).features(pictures.get(i)).data();
        }
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<float[][]>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int first = t;
                results.add(callers.submit(() -> {
                    float[][] got = new float[6][];
                    for (int r = 0; r < 6; r++) {
                        got[r] = model.features(pictures.get((first + r) % 3)).data();
                    }
                    return got;
                }));
            }
            for (int t = 0; t < 3; t++) {
                float[][] got = results.get(t).get();
                for (int r = 0; r < 6; r++) {
                    Check.identical("thread " + t + " call " + r, expected[(t + r) % 3], got[r]);
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aWarmedUpCallAllocatesFarLessThanItsActivations() {
        ResNet18 model = ResNet18.untrained(10).withPool(ComputePool.sequential());
        Tensor x = picture(7, 1, 112);
        // The stem's output alone is 64×56×56 floats (802,816 bytes); all activations ~2.4 MB. Once
        // the kernels are compiled (SteadyState waits for that), a call allocates small objects only.
        int calls = 5;
        long perCall = SteadyState.allocation(() -> model.features(x), calls, calls * 200_000L) / calls;
        assertTrue(perCall <= 200_000, "a warmed-up 112x112 pass allocated " + perCall + " bytes");
    }
}
