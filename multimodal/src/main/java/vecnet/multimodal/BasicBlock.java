package vecnet.multimodal;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.BatchNorm2d;
import vecnet.layers.Conv2d;

/**
 * torchvision's ResNet {@code BasicBlock}, in eval mode:
 *
 * <pre>
 *   out = relu( bn2(conv2( relu(bn1(conv1(x))) )) + identity )
 *   identity = downsample(x) = bn(conv1x1_stride(x))   when the block changes size, else x
 *   x (N, cin, H, W) -> out (N, cout, ceil(H/stride), ceil(W/stride))
 * </pre>
 *
 * {@code conv1} is 3×3 with the block's stride, {@code conv2} 3×3 stride 1, both padding 1 and no
 * bias. Each batch-norm is folded into its convolution's epilogue, so the block makes two passes
 * over memory (three with a downsample branch): {@code conv1→bn1→relu}, {@code downsample} when there
 * is one, and {@code conv2→bn2→+identity→relu}. State_dict keys: {@code conv1.weight}, {@code bn1.*},
 * {@code conv2.weight}, {@code bn2.*}, and {@code downsample.0.weight}, {@code downsample.1.*}.
 */
public final class BasicBlock implements HasStateDict {
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    /** The 1×1 projection of the identity branch, or null. */
    public final Conv2d downsample0;
    /** Its batch-norm, or null. */
    public final BatchNorm2d downsample1;

    private final int stride;

    /** A block from {@code cin} to {@code cout} channels; a downsample branch is made when {@code withDownsample}. */
    public BasicBlock(Kernels kernels, int cin, int cout, int stride, boolean withDownsample) {
        if (!withDownsample && (stride != 1 || cin != cout)) {
            throw new IllegalArgumentException("a BasicBlock from " + cin + " to " + cout + " channels with stride "
                    + stride + " needs a downsample branch");
        }
        this.stride = stride;
        this.conv1 = new Conv2d(kernels, ConvGeometry.square(cin, cout, 3, stride, 1), false);
        this.bn1 = new BatchNorm2d(cout);
        this.conv2 = new Conv2d(kernels, ConvGeometry.square(cout, cout, 3, 1, 1), false);
        this.bn2 = new BatchNorm2d(cout);
        this.downsample0 = withDownsample ? new Conv2d(kernels, ConvGeometry.square(cin, cout, 1, stride, 0), false) : null;
        this.downsample1 = withDownsample ? new BatchNorm2d(cout) : null;
    }

    public int stride() {
        return stride;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        put(m, "conv1.", conv1);
        put(m, "bn1.", bn1);
        put(m, "conv2.", conv2);
        put(m, "bn2.", bn2);
        if (downsample0 != null) {
            put(m, "downsample.0.", downsample0);
            put(m, "downsample.1.", downsample1);
        }
        return m;
    }

    static void put(Map<String, Tensor> m, String prefix, HasStateDict child) {
        child.namedTensors().forEach((k, v) -> m.put(prefix + k, v));
    }

    /** {@code x (N, cin, H, W)} -> {@code (N, cout, H', W')}; see the class comment. */
    public Tensor forward(Tensor x, ComputePool pool) {
        Tensor y = conv1.forward(x, pool, bn1.asEpilogue().withRelu());
        Tensor identity = downsample0 == null ? x : downsample0.forward(x, pool, downsample1.asEpilogue());
        Epilogue last = bn2.asEpilogue().withResidual(identity.data(), 0).withRelu();
        return conv2.forward(y, pool, last);
    }
}
