package vecnet.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.TrainFixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/** CrossEntropyLoss options and the learning-rate schedules against torch 1.13, plus hand-computed cases. */
class LossAndScheduleTest extends LibraryTest {
    private static final StateDict SD = TrainFixtures.file("layers");
    private static final StateDict TRAIN = TrainFixtures.file("training");

    /** case, weights?, reduction, label smoothing, ignore index: the torch cases of make_training_fixtures.py. */
    @ParameterizedTest
    @CsvSource({"mean,false,MEAN,0,-100", "sum,false,SUM,0,-100", "weight,true,MEAN,0,-100", "weight_sum,true,SUM,0,-100",
            "smooth,false,MEAN,0.2,-100", "weight_smooth,true,MEAN,0.15,-100", "weight_smooth_sum,true,SUM,0.3,-100",
            "ignore,true,MEAN,0.1,2"})
    void crossEntropyMatchesTorch(String c, boolean weighted, CrossEntropyLoss.Reduction reduction, double smoothing,
                                  int ignore) {
        CrossEntropyLoss ce = new CrossEntropyLoss(weighted ? SD.tensor("ce.weight").data() : null, ignore, reduction, smoothing);
        CrossEntropyLoss.Result r = ce.compute(SD.tensor("ce.logits"), TrainFixtures.ints(SD, "ce.target"));
        TrainFixtures.closeToTorch("loss " + c, SD.tensor("ce." + c + ".loss").data(), new float[] {r.loss()});
        TrainFixtures.closeToTorch("dlogits " + c, SD.tensor("ce." + c + ".grad").data(), r.gradient().data());
    }

    @Test
    void crossEntropyByHand() {
        // logits [0, ln 3]: softmax [1/4, 3/4]; target 1: loss = −ln(3/4); dlogits = softmax − onehot
        CrossEntropyLoss.Result r = new CrossEntropyLoss().compute(Tensor.of(new float[] {0f, (float) Math.log(3)}, 1, 2), new int[] {1});
        assertEquals(-Math.log(0.75), r.loss(), 1e-7);
        assertEquals(0.25, r.gradient().data()[0], 1e-7);
        assertEquals(-0.25, r.gradient().data()[1], 1e-7);
        // huge logits stay finite (stable log-softmax)
        r = new CrossEntropyLoss().compute(Tensor.of(new float[] {1e4f, -1e4f}, 1, 2), new int[] {1});
        assertEquals(2e4, r.loss(), 1e-3);
        assertThrows(IndexOutOfBoundsException.class,
                () -> new CrossEntropyLoss().compute(Tensor.of(new float[] {0, 0}, 1, 2), new int[] {2}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"steplr", "cosine", "linear"})
    void schedulesMatchTorch(String name) {
        Tensor p1 = Tensor.zeros(1), p2 = Tensor.zeros(1);
        Gradients g = new Gradients().track(p1).track(p2);
        SGD opt = new SGD(g, List.of(new ParamGroup(List.of(p1), 0.1), new ParamGroup(List.of(p2), 0.03)), 0, 0, 0, false);
        LrScheduler s = switch (name) {
            case "steplr" -> LrScheduler.stepLR(opt, 3, 0.5);
            case "cosine" -> LrScheduler.cosineAnnealingLR(opt, 7, 0.001);
            default -> LrScheduler.linearLR(opt, 0.25, 1.0, 4);
        };
        double[] expected = doubles(TRAIN, "sched." + name);
        for (int step = 0; step <= 25; step++) {
            if (step > 0) {
                opt.step();
                s.step();
            }
            for (int grp = 0; grp < 2; grp++) {
                double e = expected[step * 2 + grp], a = opt.groups().get(grp).lr();
                assertEquals(e, a, 1e-15 * Math.abs(e), name + " step " + step + " group " + grp);
            }
        }
    }

    /** An F64 fixture: the reader returns floats for tensors, so read its raw little-endian bytes. */
    private static double[] doubles(StateDict sd, String key) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sd.raw(key).bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        double[] d = new double[b.remaining() / 8];
        for (int i = 0; i < d.length; i++) {
            d[i] = b.getDouble();
        }
        return d;
    }
}
