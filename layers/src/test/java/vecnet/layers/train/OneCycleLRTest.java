package vecnet.layers.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.testing.LibraryTest;

class OneCycleLRTest extends LibraryTest {
    /** torch 1.13: OneCycleLR(Adam(lr=1), max_lr=0.1, total_steps=10, pct_start=0.3), the lr before each step. */
    private static final double[] TORCH = {0.0040000000000000036, 0.052000000000000005, 0.1, 0.09504846320134738,
        0.0811745653949763, 0.06112620219362893, 0.03887419780637107, 0.0188258346050237, 0.004951936798652629, 4e-07};

    @Test
    void matchesTorch() {
        Tensor p = Tensor.zeros(1);
        Gradients g = new Gradients().track(p);
        Adam adam = Adam.adam(g, List.of(p), 1);
        LrScheduler s = LrScheduler.oneCycleLR(adam, 0.1, 10, 0.3);
        for (int i = 0; i < TORCH.length; i++) {
            assertEquals(TORCH[i], adam.groups().get(0).lr(), 1e-15 + 1e-12 * TORCH[i], "step " + i);
            s.step();
        }
        assertThrows(IllegalStateException.class, s::step, "stepped past total_steps");
    }

    @Test
    void optimizerStateRoundTrips() {
        Tensor p = Tensor.of(new float[] {1, 2}, 2);
        Gradients g = new Gradients().track(p);
        Adam a = Adam.adam(g, List.of(p), 0.1);
        g.of(p)[0] = 0.5f;
        a.step();
        Optimizer.ParamState st = a.saveState(p);
        assertEquals(1, st.step());
        Tensor q = Tensor.of(p.data().clone(), 2);
        Gradients h = new Gradients().track(q);
        Adam b = Adam.adam(h, List.of(q), 0.1);
        b.restoreState(q, st);
        g.of(p)[1] = -1;
        h.of(q)[0] = 0.5f;
        h.of(q)[1] = -1;
        a.step();
        b.step();
        org.junit.jupiter.api.Assertions.assertArrayEquals(p.data(), q.data());
        assertEquals(2, b.steps(q));
    }
}
