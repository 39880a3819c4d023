package dev.vecnet.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vecnet.engine.Kernels;
import vecnet.multimodal.demo.DemoModel;

/** Run by Surefire with the flag of vecnet's README: the Vector API kernels answer every question. */
class MainTest {
    @Test
    void everyBundledQuestionIsAnsweredRightWithTheVectorApi() throws Exception {
        assertTrue(Kernels.get().name().startsWith("vector-"), Kernels.get().name());
        assertEquals(DemoModel.samples().size(), Main.answeredRight());
    }
}
