package vecnet.engine;

/**
 * The reference kernels: plain loops with no tricks, written to be read next to the formula in
 * {@link Kernels}. They are the fallback when the Vector API is absent and the twin that every
 * Vector API kernel is tested against. Keep them simple forever; speed lives in VectorKernels.
 *
 * <p>Work is split over output rows (GEMM), output channels (convolution) or planes (pooling); each
 * output element is computed whole by one task, so the thread count never changes a result.
 */
final class ScalarKernels implements Kernels {
    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void sgemm(ComputePool pool, int m, int n, int k,
                      float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, boolean bTransposed,
                      float[] c, int cOff, int ldc, Epilogue ep) {
        int parts = Math.min(m, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int i0 = ComputePool.splitStart(m, parts, part), i1 = ComputePool.splitStart(m, parts, part + 1);
            for (int i = i0; i < i1; i++) {
                for (int j = 0; j < n; j++) {
                    float acc = 0f;
                    for (int p = 0; p < k; p++) {
                        float bv = bTransposed ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                        acc += a[aOff + i * lda + p] * bv;
                    }
                    c[cOff + i * ldc + j] = ep.apply(acc, ep.perRow() ? i : j, ep.residualOffset() + i * ldc + j);
                }
            }
        });
    }

    @Override
    public GemmPlan planGemm(int m, int k, float[] a, int aOff, int lda) {
        float[] copy = new float[m * k];
        for (int i = 0; i < m; i++) {
            System.arraycopy(a, aOff + i * lda, copy, i * k, k);
        }
        return new GemmPlan() {
            @Override
            public int m() {
                return m;
            }

            @Override
            public int k() {
                return k;
            }

            @Override
            public void run(ComputePool pool, int n, float[] b, int bOff, int ldb, boolean bTransposed,
                            float[] c, int cOff, int ldc, Epilogue ep) {
                sgemm(pool, m, n, k, copy, 0, k, b, bOff, ldb, bTransposed, c, cOff, ldc, ep);
            }
        };
    }

    @Override
    public void sgemmColumnsTransposed(ComputePool pool, int m, float[] a, int aOff, int lda, ConvGeometry g, int group,
                                       float[] x, int n, int h, int w, float[] c, int cOff, int ldc) {
        int k = g.patchSize(), oh = g.outH(h), ow = g.outW(w), np = n * oh * ow, taps = g.kh() * g.kw();
        int parts = Math.min(m, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int i0 = ComputePool.splitStart(m, parts, part), i1 = ComputePool.splitStart(m, parts, part + 1);
            for (int row = i0; row < i1; row++) {
                for (int r = 0; r < k; r++) {
                    int ci = group * g.cinPerGroup() + r / taps, i = r % taps / g.kw(), j = r % g.kw();
                    float acc = 0f;
                    for (int q = 0; q < np; q++) {
                        int b = q / (oh * ow), oy = q % (oh * ow) / ow, ox = q % ow;
                        int iy = oy * g.strideH() - g.padH() + i * g.dilH(), ix = ox * g.strideW() - g.padW() + j * g.dilW();
                        float v = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((b * g.cin() + ci) * h + iy) * w + ix] : 0f;
                        acc += a[aOff + row * lda + q] * v;
                    }
                    c[cOff + row * ldc + r] = acc;
                }
            }
        });
    }

    @Override
    public void convWeightGradient(ComputePool pool, ConvGeometry g, int group, float[] dy, float[] x, int n, int h,
                                   int w, float[] dw, int dwOff) {
        int k = g.patchSize(), oh = g.outH(h), ow = g.outW(w), taps = g.kh() * g.kw(), opg = g.coutPerGroup();
        int parts = Math.min(opg, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int o0 = ComputePool.splitStart(opg, parts, part), o1 = ComputePool.splitStart(opg, parts, part + 1);
            for (int o = o0; o < o1; o++) {
                int co = group * opg + o;
                for (int r = 0; r < k; r++) {
                    int ci = group * g.cinPerGroup() + r / taps, i = r % taps / g.kw(), j = r % g.kw();
                    float acc = 0f;
                    for (int b = 0; b < n; b++) {
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * g.strideH() - g.padH() + i * g.dilH();
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * g.strideW() - g.padW() + j * g.dilW();
                                if (ix >= 0 && ix < w) {
                                    acc += dy[((b * g.cout() + co) * oh + oy) * ow + ox]
                                            * x[((b * g.cin() + ci) * h + iy) * w + ix];
                                }
                            }
                        }
                    }
                    dw[dwOff + o * k + r] = acc;
                }
            }
        });
    }

    @Override
    public void deviationSums(float[] x, int xOff, int len, float center, double[] out) {
        double s = 0, ss = 0;
        for (int i = 0; i < len; i++) {
            float d = x[xOff + i] - center;
            s += d;
            ss += (double) d * d;
        }
        out[0] += s;
        out[1] += ss;
    }

    @Override
    public void gradientSums(float[] dy, int dyOff, float[] x, int xOff, int len, float center, double[] out) {
        double s = 0, sx = 0;
        for (int i = 0; i < len; i++) {
            float g = dy[dyOff + i];
            s += g;
            sx += (double) g * (x[xOff + i] - center);
        }
        out[0] += s;
        out[1] += sx;
    }

    @Override
    public void affineDeviation(float[] dy, int dyOff, float[] x, int xOff, int len, float center, float a, float b,
                                float c, float[] out, int outOff) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = Math.fma(a, dy[dyOff + i], Math.fma(b, x[xOff + i] - center, c));
        }
    }

    @Override
    public void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
        }
    }

    @Override
    public RightPlan planGemmRight(int n, int k, float[] w, int wOff, int ldw) {
        float[] copy = new float[n * k];
        for (int j = 0; j < n; j++) {
            System.arraycopy(w, wOff + j * ldw, copy, j * k, k);
        }
        return new RightPlan() {
            @Override
            public int n() {
                return n;
            }

            @Override
            public int k() {
                return k;
            }

            @Override
            public void run(ComputePool pool, int m, float[] a, int aOff, int lda, float[] c, int cOff, int ldc,
                            Epilogue ep) {
                sgemm(pool, m, n, k, a, aOff, lda, copy, 0, k, true, c, cOff, ldc, ep);
            }
        };
    }

    @Override
    public Conv2dPlan planConv2d(ConvGeometry g, float[] weight) {
        g.checkWeights(weight);
        float[] w = weight.clone();
        return new Conv2dPlan() {
            @Override
            public ConvGeometry geometry() {
                return g;
            }

            @Override
            public void run(ComputePool pool, float[] x, int n, int h, int wd, float[] y, Epilogue ep) {
                convolve(pool, g, w, x, n, h, wd, y, ep);
            }
        };
    }

    @Override
    public Conv2dPlan planConvInputGradient(ConvGeometry g, float[] weight) {
        ConvGeometry t = g.inputGradient();
        if (t == null) {
            return null;
        }
        g.checkWeights(weight);
        float[] w = weight.clone();
        return new Conv2dPlan() {
            @Override
            public ConvGeometry geometry() {
                return t;
            }

            @Override
            public void run(ComputePool pool, float[] dy, int n, int oh, int ow, float[] dx, Epilogue ep) {
                t.checkInput(oh, ow);
                inputGradient(pool, g, w, dy, n, t.outH(oh), t.outW(ow), dx, ep);
            }
        };
    }

    /** {@link #planConvInputGradient}'s sums, column entry by column entry as sgemm and col2im take them. */
    private static void inputGradient(ComputePool pool, ConvGeometry g, float[] weight, float[] dy, int n, int h,
                                      int w, float[] dx, Epilogue ep) {
        int oh = g.outH(h), ow = g.outW(w), opg = g.coutPerGroup(), cpg = g.cinPerGroup(), kk = g.kh() * g.kw();
        pool.parallelFor(n * g.cin(), plane -> {
            int b = plane / g.cin(), ci = plane % g.cin(), gi = ci / cpg, c = ci % cpg;
            java.util.Arrays.fill(dx, plane * h * w, (plane + 1) * h * w, 0f);
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy - g.padH() + i * g.dilH();
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox - g.padW() + j * g.dilW();
                            if (ix < 0 || ix >= w) {
                                continue;
                            }
                            float acc = 0f;   // as sgemm sums one column entry
                            for (int o = 0; o < opg; o++) {
                                acc += weight[((gi * opg + o) * cpg + c) * kk + i * g.kw() + j]
                                        * dy[((b * g.cout() + gi * opg + o) * oh + oy) * ow + ox];
                            }
                            dx[(plane * h + iy) * w + ix] += acc;
                        }
                    }
                }
            }
            if (!ep.isIdentity()) {
                for (int q = plane * h * w; q < (plane + 1) * h * w; q++) {
                    dx[q] = ep.apply(dx[q], ci, ep.residualOffset() + q);
                }
            }
        });
    }

    /** Direct convolution: seven nested loops, the formula of {@link Conv2dPlan#run} read literally. */
    private static void convolve(ComputePool pool, ConvGeometry g, float[] w, float[] x, int n, int h, int wd,
                                 float[] y, Epilogue ep) {
        g.checkInput(h, wd);
        int oh = g.outH(h), ow = g.outW(wd);
        int cinG = g.cinPerGroup(), coutG = g.coutPerGroup();
        pool.parallelFor(n * g.cout(), task -> {
            int b = task / g.cout(), co = task % g.cout();
            int group = co / coutG;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float acc = 0f;
                    for (int ci = 0; ci < cinG; ci++) {
                        int xc = group * cinG + ci;
                        for (int i = 0; i < g.kh(); i++) {
                            int iy = oy * g.strideH() - g.padH() + i * g.dilH();
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int j = 0; j < g.kw(); j++) {
                                int ix = ox * g.strideW() - g.padW() + j * g.dilW();
                                if (ix < 0 || ix >= wd) {
                                    continue;
                                }
                                acc += w[((co * cinG + ci) * g.kh() + i) * g.kw() + j]
                                        * x[((b * g.cin() + xc) * h + iy) * wd + ix];
                            }
                        }
                    }
                    int out = ((b * g.cout() + co) * oh + oy) * ow + ox;
                    y[out] = ep.apply(acc, co, ep.residualOffset() + out);
                }
            }
        });
    }

    @Override
    public void maxPool2d(ComputePool pool, float[] x, int n, int c, int h, int w,
                          int k, int stride, int pad, float[] y) {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        pool.parallelFor(n * c, plane -> {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < k; i++) {
                        int iy = oy * stride - pad + i;
                        for (int j = 0; j < k; j++) {
                            int ix = ox * stride - pad + j;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                float v = x[(plane * h + iy) * w + ix];
                                if (v > max || Float.isNaN(v)) {
                                    max = v;
                                }
                            }
                        }
                    }
                    y[(plane * oh + oy) * ow + ox] = max;
                }
            }
        });
    }

    @Override
    public void adaptiveAvgPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int oh, int ow, float[] y) {
        pool.parallelFor(n * c, plane -> {
            for (int i = 0; i < oh; i++) {
                int y0 = Math.floorDiv(i * h, oh), y1 = -Math.floorDiv(-(i + 1) * h, oh);
                for (int j = 0; j < ow; j++) {
                    int x0 = Math.floorDiv(j * w, ow), x1 = -Math.floorDiv(-(j + 1) * w, ow);
                    float sum = 0f;
                    for (int yy = y0; yy < y1; yy++) {
                        for (int xx = x0; xx < x1; xx++) {
                            sum += x[(plane * h + yy) * w + xx];
                        }
                    }
                    y[(plane * oh + i) * ow + j] = sum / ((y1 - y0) * (x1 - x0));
                }
            }
        });
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void relu(float[] x, int xOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v < 0f ? 0f : v;
        }
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = (float) (1.0 / (1.0 + Math.exp(-(double) x[xOff + i])));
        }
    }

    @Override
    public void tanh(float[] x, int xOff, float[] out, int outOff, int len) {
        for (int i = 0; i < len; i++) {
            out[outOff + i] = (float) Math.tanh(x[xOff + i]);
        }
    }

    @Override
    public void concat(float[][] parts, int[] widths, int outer, int inner, float[] out) {
        int total = 0;
        for (int wdt : widths) {
            total += wdt;
        }
        for (int o = 0; o < outer; o++) {
            int at = o * total * inner;
            for (int p = 0; p < parts.length; p++) {
                int chunk = widths[p] * inner;
                for (int i = 0; i < chunk; i++) {
                    out[at + i] = parts[p][o * chunk + i];
                }
                at += chunk;
            }
        }
    }

    @Override
    public void fixedPointTaps(int[] x, int xOff, int stride, int taps, int[] w, int wOff, int shift,
                               int[] out, int outOff, int len) {
        // accumulated in out, one tap (one row of x) at a time
        for (int i = 0; i < len; i++) {
            out[outOff + i] = 1 << (shift - 1);
        }
        for (int t = 0; t < taps; t++) {
            int wt = w[wOff + t];
            int row = xOff + t * stride;
            for (int i = 0; i < len; i++) {
                out[outOff + i] += wt * x[row + i];
            }
        }
        for (int i = 0; i < len; i++) {
            out[outOff + i] = Math.max(0, Math.min(255, out[outOff + i] >> shift));
        }
    }

    @Override
    public void ycbcrToRgb(int[] x, int yOff, int cbOff, int crOff, int len) {
        for (int i = 0; i < len; i++) {
            int y = x[yOff + i];
            int cb = x[cbOff + i] - 128;
            int cr = x[crOff + i] - 128;
            x[yOff + i] = Math.max(0, Math.min(255, y + ((91881 * cr + 32768) >> 16)));
            x[cbOff + i] = Math.max(0, Math.min(255, y + ((-22554 * cb - 46802 * cr + 32768) >> 16)));
            x[crOff + i] = Math.max(0, Math.min(255, y + ((116130 * cb + 32768) >> 16)));
        }
    }
}
