package vecnet.multimodal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.Linear;
import vecnet.layers.Traced;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.Optimizer;

/**
 * Training steps of the fusion model's text branch and head on image features that come from
 * elsewhere: precomputed by a frozen ResNet (the seed's setup), or the output of a traced ResNet,
 * whose backward then takes {@link Step#imageFeatureGradient()}.
 *
 * <pre>
 *   logits = fc([image features (N, F_img), text.encode(ids) (N, F_txt)])
 *   loss   = CrossEntropyLoss(logits, labels)
 *   backward: dlogits -> fc (dW, db, d[img, txt]) -> split -> text branch (LSTM BPTT, embedding)
 * </pre>
 *
 * One trainer belongs to one training loop (not thread-safe); the compute is split over its pool
 * and is bit-identical for any thread count.
 */
public final class FusionTrainer {
    private final TextEncoder text;
    private final Linear fc;
    private final Gradients grads;
    private final Optimizer optimizer;
    private final CrossEntropyLoss loss;
    private final ComputePool pool;

    /**
     * @param text      the text branch; its tensors train when {@code grads} tracks them
     * @param fc        the head, {@code Linear(F_img + F_txt, classes)}
     * @param grads     where the gradients go (an untracked tensor is frozen)
     * @param optimizer updates the tracked parameters in place
     * @param loss      the loss on the logits
     * @param pool      the compute threads
     */
    public FusionTrainer(TextEncoder text, Linear fc, Gradients grads, Optimizer optimizer, CrossEntropyLoss loss,
                         ComputePool pool) {
        this.text = Objects.requireNonNull(text, "text");
        this.fc = Objects.requireNonNull(fc, "fc");
        this.grads = Objects.requireNonNull(grads, "grads");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.loss = Objects.requireNonNull(loss, "loss");
        this.pool = Objects.requireNonNull(pool, "pool");
        if (fc.inFeatures() <= text.featureSize()) {
            throw new IllegalArgumentException(fc + " has no room for image features before the " + text.featureSize()
                    + " text features");
        }
    }

    /**
     * A trainer of {@code model}'s text branch and head, on the model's pool; its {@link #weightsChanged()}
     * refreshes them after each step (the image branch is the caller's: {@code model.resnet()}).
     */
    public FusionTrainer(FusionModel model, Gradients grads, Optimizer optimizer, CrossEntropyLoss loss) {
        this(model.text, model.fc, grads, optimizer, loss, model.pool());
    }

    /**
     * The seed's setup in one call: the ResNet frozen and in eval mode (vecnet's ResNet runs in eval
     * mode, its running statistics fixed; none of its tensors is tracked, so it gets no gradient and
     * no update), the embedding, LSTM and fc trainable.
     *
     * @return the gradients of the text branch and the head, in state_dict order
     */
    public static Gradients seedSetup(FusionModel model) {
        return new Gradients().trackAll(trainableOf(model));
    }

    /** The text branch's and the head's tensors of {@code model}, in state_dict order (embedding, lstm, fc). */
    public static List<Tensor> trainableOf(FusionModel model) {
        return trainableOf(model.text, model.fc);
    }

    /** The text branch's and the head's tensors, in state_dict order (embedding, lstm, fc). */
    public static List<Tensor> trainableOf(TextEncoder text, Linear fc) {
        List<Tensor> params = new ArrayList<>(text.namedTensors().values());
        params.addAll(fc.namedTensors().values());
        return params;
    }

    /** What one forward and backward gave. */
    public record Step(float loss, Tensor logits, Tensor imageFeatureGradient) {
    }

    /**
     * Forward and backward without updating: the gradients are <em>added</em> into {@link Gradients}
     * (zero them first), as {@code loss.backward()} does.
     *
     * @param imageFeatures {@code (N, F_img)}
     * @param tokenIds      {@code N} non-empty texts
     * @param labels        {@code N} class indices (or the loss's {@code ignore_index})
     * @return the loss, the logits and the gradient with respect to the image features {@code (N, F_img)}
     */
    public Step forwardBackward(Tensor imageFeatures, int[][] tokenIds, int[] labels) {
        int n = tokenIds.length, fImg = fc.inFeatures() - text.featureSize();
        imageFeatures.requireShape("image features (N, " + fImg + ")", n, fImg);
        Traced txt = text.trace(tokenIds, pool);
        Traced head = fc.trace(FusionModel.concat(imageFeatures, txt.output()), pool);
        CrossEntropyLoss.Result l = loss.compute(head.output(), labels);
        Tensor dJoint = head.backward(l.gradient(), grads, pool);
        int fTxt = text.featureSize(), width = fImg + fTxt;
        Tensor dImg = Tensor.zeros(n, fImg), dTxt = Tensor.zeros(n, fTxt);
        for (int i = 0; i < n; i++) {
            System.arraycopy(dJoint.data(), i * width, dImg.data(), i * fImg, fImg);
            System.arraycopy(dJoint.data(), i * width + fImg, dTxt.data(), i * fTxt, fTxt);
        }
        txt.backward(dTxt, grads, pool);
        return new Step(l.loss(), head.output(), dImg);
    }

    /**
     * One optimizer step: every tracked gradient set to zero, forward, backward, {@code optimizer.step()},
     * then the packed weights of the LSTM and fc are refreshed (once per step).
     */
    public Step step(Tensor imageFeatures, int[][] tokenIds, int[] labels) {
        grads.zero();
        Step s = forwardBackward(imageFeatures, tokenIds, labels);
        optimizer.step();
        weightsChanged();
        return s;
    }

    /** Tells the layers that their weights changed (after an optimizer step made outside {@link #step}). */
    public void weightsChanged() {
        text.weightsChanged();
        fc.weightsChanged();
    }
}
