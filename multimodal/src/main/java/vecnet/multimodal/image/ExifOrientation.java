package vecnet.multimodal.image;

/**
 * The EXIF Orientation tag (0x0112) and Pillow's {@code ImageOps.exif_transpose}, which turns the
 * stored pixels upright: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
 * 7 transverse, 8 rotate 90° counter-clockwise; 1, a missing tag and any other value leave the
 * pixels as they are.
 *
 * <p>Pillow's {@code Image.open} (and so torchvision's transform) ignores the tag; a decoder applies it
 * only when asked. The tag is read from a JPEG APP1 {@code Exif} segment, a PNG {@code eXIf} chunk or
 * the first IFD of a TIFF. A malformed EXIF block counts as no tag, as it is only a hint.
 */
public final class ExifOrientation {
    private ExifOrientation() {
    }

    /** The orientation (1 to 8) the file declares, or 1 if it declares none. */
    public static int read(byte[] d) {
        int v = 1;
        if (JpegDecoder.sniff(d)) {
            v = jpeg(d);
        } else if (PngDecoder.sniff(d)) {
            v = png(d);
        } else if (d.length >= 8 && ((d[0] == 'I' && d[1] == 'I') || (d[0] == 'M' && d[1] == 'M'))) {
            v = tiff(d, 0, d.length);
        }
        return v >= 1 && v <= 8 ? v : 1;
    }

    private static int jpeg(byte[] d) {
        int pos = 2;
        while (pos + 4 <= d.length && (d[pos] & 0xFF) == 0xFF) {
            int m = d[pos + 1] & 0xFF;
            if (m == 0xDA || m == 0xD9) {
                break;
            }
            int len = ((d[pos + 2] & 0xFF) << 8) | (d[pos + 3] & 0xFF);
            int p = pos + 4;
            if (m == 0xE1 && len >= 8 && p + 6 <= d.length && d[p] == 'E' && d[p + 1] == 'x' && d[p + 2] == 'i'
                    && d[p + 3] == 'f' && d[p + 4] == 0 && d[p + 5] == 0) {
                return tiff(d, p + 6, Math.min(d.length, pos + 2 + len));
            }
            pos += 2 + len;
        }
        return 1;
    }

    private static int png(byte[] d) {
        int pos = 8;
        while (pos + 8 <= d.length) {
            long n = u32(d, pos, false);
            if (n > d.length - pos - 12) {
                break;
            }
            if (d[pos + 4] == 'e' && d[pos + 5] == 'X' && d[pos + 6] == 'I' && d[pos + 7] == 'f') {
                return tiff(d, pos + 8, pos + 8 + (int) n);
            }
            if (d[pos + 4] == 'I' && d[pos + 5] == 'D' && d[pos + 6] == 'A' && d[pos + 7] == 'T') {
                break; // Pillow reads eXIf only before the image data when it opens the file
            }
            pos += 12 + (int) n;
        }
        return 1;
    }

    /** The Orientation entry of IFD0 of the TIFF structure in {@code d[start, end)}, or 1. */
    private static int tiff(byte[] d, int start, int end) {
        if (end - start < 8) {
            return 1;
        }
        boolean le = d[start] == 'I' && d[start + 1] == 'I';
        if (!le && !(d[start] == 'M' && d[start + 1] == 'M')) {
            return 1;
        }
        long ifd = u32(d, start + 4, le);
        if (ifd < 8 || ifd > end - start - 2) {
            return 1;
        }
        int p = start + (int) ifd;
        int entries = u16(d, p, le);
        for (int i = 0; i < entries; i++) {
            int e = p + 2 + 12 * i;
            if (e + 12 > end) {
                return 1;
            }
            if (u16(d, e, le) == 0x0112) {
                int type = u16(d, e + 2, le);
                return type == 3 ? u16(d, e + 8, le) : type == 4 ? (int) Math.min(u32(d, e + 8, le), 9) : 1;
            }
        }
        return 1;
    }

    /**
     * {@code ImageOps.exif_transpose} for an orientation: (H, W, 3) → (H, W, 3) for 1 to 4, (W, H, 3)
     * for 5 to 8. Returns {@code img} itself for 1.
     */
    public static Rgb8 transpose(Rgb8 img, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return img;
        }
        int w = img.width();
        int h = img.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] in = img.rgb();
        byte[] out = new byte[in.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // the source pixel (sy, sx) of output pixel (y, x)
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }           // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }   // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }           // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                   // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }           // ROTATE_270 (90° clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }   // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }          // 8: ROTATE_90 (counter-clockwise)
                }
                int s = (sy * w + sx) * 3;
                int o = (y * ow + x) * 3;
                out[o] = in[s];
                out[o + 1] = in[s + 1];
                out[o + 2] = in[s + 2];
            }
        }
        return new Rgb8(ow, oh, out);
    }

    private static int u16(byte[] d, int p, boolean le) {
        return le ? (d[p] & 0xFF) | (d[p + 1] & 0xFF) << 8 : (d[p] & 0xFF) << 8 | (d[p + 1] & 0xFF);
    }

    private static long u32(byte[] d, int p, boolean le) {
        return le ? (d[p] & 0xFFL) | (d[p + 1] & 0xFFL) << 8 | (d[p + 2] & 0xFFL) << 16 | (d[p + 3] & 0xFFL) << 24
                : (d[p] & 0xFFL) << 24 | (d[p + 1] & 0xFFL) << 16 | (d[p + 2] & 0xFFL) << 8 | (d[p + 3] & 0xFFL);
    }
}
