package vecnet.engine;

/**
 * The fixed part of a 2-D convolution, as PyTorch's {@code nn.Conv2d} describes it.
 *
 * <p>Weight shape {@code [cout, cin/groups, kh, kw]}; input {@code [N, cin, H, W]}; output
 * {@code [N, cout, outH, outW]} with {@code outH = floor((H + 2*padH - dilH*(kh-1) - 1) / strideH) + 1}.
 * Padding is symmetric and zero; groups split input and output channels into contiguous blocks.
 */
public record ConvGeometry(int cin, int cout, int kh, int kw, int strideH, int strideW,
                           int padH, int padW, int dilH, int dilW, int groups) {

    public ConvGeometry {
        if (cin < 1 || cout < 1 || kh < 1 || kw < 1) {
            throw new IllegalArgumentException("channels and kernel sizes must be ≥ 1: " + this);
        }
        if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("stride and dilation must be ≥ 1 and padding ≥ 0: " + this);
        }
        if (groups < 1 || cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException("groups (" + groups + ") must divide cin (" + cin
                    + ") and cout (" + cout + ")");
        }
    }

    /** A square kernel with the same stride and padding on both axes, no dilation, one group. */
    public static ConvGeometry square(int cin, int cout, int k, int stride, int pad) {
        return new ConvGeometry(cin, cout, k, k, stride, stride, pad, pad, 1, 1, 1);
    }

    /** Output height for input height {@code h}. */
    public int outH(int h) {
        return outSize(h, kh, strideH, padH, dilH);
    }

    /** Output width for input width {@code w}. */
    public int outW(int w) {
        return outSize(w, kw, strideW, padW, dilW);
    }

    private static int outSize(int in, int k, int stride, int pad, int dil) {
        int span = in + 2 * pad - dil * (k - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    /** Input channels seen by one output channel: {@code cin / groups}. */
    public int cinPerGroup() {
        return cin / groups;
    }

    /** Output channels in one group: {@code cout / groups}. */
    public int coutPerGroup() {
        return cout / groups;
    }

    /** The GEMM depth of one group: {@code cin/groups * kh * kw}. */
    public int patchSize() {
        return cinPerGroup() * kh * kw;
    }

    /** The number of weights: {@code cout * cin/groups * kh * kw}. */
    public int weightSize() {
        return cout * patchSize();
    }

    /**
     * The convolution that gives this one's input gradient from its output gradient, for stride 1:
     * input and output channels swapped, padding {@code dil·(k − 1) − pad} on each axis (so that it
     * maps {@code outH × outW} back to {@code h × w}), the same kernel, dilation and groups; its
     * weights are this one's with the channel roles swapped and both kernel axes reversed. Null when
     * a stride is not 1 or the padding is past the kernel's reach ({@code pad > dil·(k − 1)}).
     */
    public ConvGeometry inputGradient() {
        int ph = dilH * (kh - 1) - padH, pw = dilW * (kw - 1) - padW;
        if (strideH != 1 || strideW != 1 || ph < 0 || pw < 0) {
            return null;
        }
        return new ConvGeometry(cout, cin, kh, kw, 1, 1, ph, pw, dilH, dilW, groups);
    }

    /** Throws with a clear message when {@code weight} does not hold {@link #weightSize()} elements. */
    public void checkWeights(float[] weight) {
        if (weight.length != weightSize()) {
            throw new IllegalArgumentException("conv weight has " + weight.length + " elements, geometry " + this
                    + " needs " + weightSize());
        }
    }

    /** Throws with a clear message when the input is too small to produce any output. */
    public void checkInput(int h, int w) {
        if (outH(h) < 1 || outW(w) < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " is too small for kernel " + kh + "x" + kw
                    + " with padding " + padH + "x" + padW + " and dilation " + dilH + "x" + dilW);
        }
    }
}
