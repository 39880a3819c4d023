package vecnet.weights;

/**
 * IEEE 754 binary16 ("half", PyTorch {@code float16}) to float32, by hand: Java 17 has no
 * {@code Float.float16ToFloat} (it arrived in Java 20).
 *
 * <p>Half layout: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. Every half is exactly
 * representable as a float, so the conversion is exact:
 * <ul>
 *   <li>exponent 0: zero or subnormal, value = ±mantissa · 2^-24;</li>
 *   <li>exponent 31: ±infinity (mantissa 0) or NaN (payload kept in the top mantissa bits);</li>
 *   <li>otherwise: rebias the exponent (15 → 127, i.e. +112) and widen the mantissa by 13 bits.</li>
 * </ul>
 * bfloat16 needs no helper: it is the top half of a float32, {@code intBitsToFloat(bits << 16)}.
 */
final class Float16 {
    private Float16() {
    }

    /** The float32 value of the half whose bits are the low 16 bits of {@code bits}. */
    static float toFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;              // exact: mant < 2^10
            return sign != 0 ? -v : v;              // keeps -0.0
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
