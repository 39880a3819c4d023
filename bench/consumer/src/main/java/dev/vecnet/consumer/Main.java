package dev.vecnet.consumer;

import java.io.IOException;
import java.util.List;
import vecnet.engine.Kernels;
import vecnet.multimodal.Classifier;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.demo.DemoModel;

/**
 * Answers vecnet's bundled questions with the {@link Classifier} API and prints one line:
 * {@code <kernels> <right>/<total>}. Exits with status 1 if any answer is wrong.
 */
public final class Main {
    private Main() {
    }

    /** The number of bundled samples the classifier answers right. */
    public static int answeredRight() throws IOException {
        Classifier classifier = Classifier.of(DemoModel.bundle());
        List<DemoModel.BundledSample> samples = DemoModel.samples();
        int right = 0;
        for (DemoModel.BundledSample s : samples) {
            Prediction p = classifier.predict(List.of(new Classifier.Input(s.image(), s.question()))).get(0);
            right += p.name().equals(s.answer()) ? 1 : 0;
        }
        return right;
    }

    public static void main(String[] args) throws IOException {
        int right = answeredRight();
        int total = DemoModel.samples().size();
        System.out.println(Kernels.get().name() + " " + right + "/" + total);
        if (right != total) {
            System.exit(1);
        }
    }
}
