package vecnet.engine;

/**
 * What a GEMM or convolution does to each output element as it writes it, in one pass:
 *
 * <pre>
 *   y = acc                                  the dot product
 *   y = fma(y, scale[ch], shift[ch])          if scale != null   (folded batch-norm)
 *   y = y + shift[ch]                        if scale == null and shift != null   (bias)
 *   y = y + residual[same index as y]        if residual != null (ResNet's skip connection)
 *   y = (y < 0 ? 0 : y)                      if relu (NaN stays NaN)
 * </pre>
 *
 * {@code ch} is the output channel: the row of C for a convolution ({@code C[cout, pixels]}), the
 * column of C for a Linear layer ({@code C[batch, out]}); {@link #perRow} says which.
 * Batch-norm in eval mode is {@code fma(x, alpha, beta)} with {@code alpha = weight/sqrt(var+eps)} and
 * {@code beta = bias - mean*alpha}, which is also how PyTorch computes it on the CPU.
 *
 * @param scale    per-channel multiplier, or null
 * @param shift    per-channel addend (the bias), or null
 * @param perRow   true when the channel is the row index of C, false when it is the column index
 * @param residual an array laid out exactly like C whose element is added, or null
 * @param residualOffset where C's element (0,0) sits in {@code residual}
 * @param relu     clamp negatives to zero last
 */
public record Epilogue(float[] scale, float[] shift, boolean perRow, float[] residual, int residualOffset, boolean relu) {

    /** Nothing: y = acc. */
    public static final Epilogue NONE = new Epilogue(null, null, true, null, 0, false);

    /** {@code y = acc + bias[column]}, the Linear layer's epilogue. */
    public static Epilogue columnBias(float[] bias) {
        return new Epilogue(null, bias, false, null, 0, false);
    }

    /** {@code y = acc + bias[row]}, a convolution bias. */
    public static Epilogue rowBias(float[] bias) {
        return new Epilogue(null, bias, true, null, 0, false);
    }

    /** {@code y = fma(acc, scale[row], shift[row])}: a convolution followed by an eval batch-norm. */
    public static Epilogue rowAffine(float[] scale, float[] shift) {
        return new Epilogue(scale, shift, true, null, 0, false);
    }

    /** The same epilogue followed by ReLU. */
    public Epilogue withRelu() {
        return new Epilogue(scale, shift, perRow, residual, residualOffset, true);
    }

    /** The same epilogue with {@code residual} added before the ReLU. */
    public Epilogue withResidual(float[] residual, int offset) {
        return new Epilogue(scale, shift, perRow, residual, offset, relu);
    }

    /** True when this epilogue leaves the accumulator unchanged. */
    public boolean isIdentity() {
        return scale == null && shift == null && residual == null && !relu;
    }

    /**
     * Applies the epilogue to one value, the reference every kernel must agree with.
     *
     * @param acc the accumulated dot product
     * @param ch  the channel (row or column of C, as {@link #perRow} says)
     * @param residualIndex the index of this element in {@link #residual}
     */
    public float apply(float acc, int ch, int residualIndex) {
        float y = acc;
        if (scale != null) {
            y = Math.fma(y, scale[ch], shift == null ? 0f : shift[ch]);
        } else if (shift != null) {
            y = y + shift[ch];
        }
        if (residual != null) {
            y = y + residual[residualIndex];
        }
        if (relu && y < 0f) {
            y = 0f; // NaN stays NaN, as in torch.relu
        }
        return y;
    }
}
