package vecnet.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.testing.LibraryTest;

/** Update rules worked by hand on one or two numbers (the torch runs are in FusionTrainerTest). */
class OptimizerByHandTest extends LibraryTest {

    @Test
    void sgdMomentumHasNoDampeningOnItsFirstStep() {
        Tensor p = Tensor.of(new float[] {1f}, 1);
        Gradients g = new Gradients().track(p);
        SGD sgd = new SGD(g, List.of(new ParamGroup(List.of(p), 0.1)), 0.9, 0.5, 0, false);
        g.of(p)[0] = 0.5f;
        sgd.step();                       // buf = 0.5 (no dampening); p = 1 − 0.1·0.5
        assertEquals(0.95f, p.data()[0], 1e-7);
        sgd.step();                       // buf = 0.9·0.5 + 0.5·0.5 = 0.7; p = 0.95 − 0.07
        assertEquals(0.88f, p.data()[0], 1e-7);
        assertEquals(0.7f, sgd.momentumBuffer(p)[0], 1e-7);
    }

    @Test
    void adamFirstStepMovesByLrTimesTheSign() {
        Tensor p = Tensor.of(new float[] {1f, 1f}, 2);
        Gradients g = new Gradients().track(p);
        Adam adam = Adam.adam(g, List.of(p), 0.01);
        g.of(p)[0] = 3f;
        g.of(p)[1] = -0.02f;
        adam.step();                      // m/bc1 = g, sqrt(v)/sqrt(bc2) = |g|: p −= lr·g/(|g| + eps)
        assertEquals(1 - 0.01 * 3 / (3 + 1e-8), p.data()[0], 1e-7);
        assertEquals(1 + 0.01 * 0.02 / (0.02 + 1e-8), p.data()[1], 1e-7);
        assertEquals(1, adam.steps(p));
    }

    @Test
    void adamWDecaysBeforeTheUpdate() {
        Tensor p = Tensor.of(new float[] {2f}, 1);
        Gradients g = new Gradients().track(p);
        Adam.adamW(g, List.of(new ParamGroup(List.of(p), 0.1)), 0.9, 0.999, 1e-8, 0.5).step();   // zero gradient
        assertEquals(2f * (1 - 0.1f * 0.5f), p.data()[0], 1e-6);   // m = 0: only the decay moves it
    }

    @Test
    void clipGradNormScalesByMaxOverTotal() {
        Tensor a = Tensor.zeros(1), b = Tensor.zeros(1), frozen = Tensor.zeros(1);
        Gradients g = new Gradients().track(a).track(b);
        g.of(a)[0] = 3f;
        g.of(b)[0] = 4f;
        float total = GradClip.clipGradNorm(g, List.of(a, b, frozen), 1.0);
        assertEquals(5f, total);
        assertEquals(3 / (5 + 1e-6), g.of(a)[0], 1e-7);
        assertEquals(4 / (5 + 1e-6), g.of(b)[0], 1e-7);
    }

    @Test
    void frozenParametersAreSkipped() {
        Tensor p = Tensor.of(new float[] {1f}, 1);
        SGD sgd = SGD.of(new Gradients(), List.of(p), 0.1, 0.9);
        sgd.step();
        assertEquals(1f, p.data()[0]);
        assertFalse(sgd.hasState(p));
    }

    @Test
    void refusesNesterovWithoutMomentum() {
        Tensor p = Tensor.zeros(1);
        assertThrows(IllegalArgumentException.class,
                () -> new SGD(new Gradients(), List.of(new ParamGroup(List.of(p), 0.1)), 0, 0, 0, true));
    }
}
