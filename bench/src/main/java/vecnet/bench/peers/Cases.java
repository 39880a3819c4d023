package vecnet.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import vecnet.engine.Tensor;
import vecnet.weights.StateDict;

/**
 * The cases bench/compare.sh times on every peer, and the files that bench/python/compare_export.py
 * writes for them in one directory (the same weights for vecnet, PyTorch and ONNX Runtime):
 *
 * <pre>
 * resnet18.safetensors  torchvision resnet18 state_dict (122 keys, BN statistics randomized)
 * fusion.safetensors    the seed's MultimodalModel(num_classes=10) state_dict (127 keys)
 * resnet18.onnx         input "image" (N,3,224,224), output "logits" (N,1000), dynamic N
 * fusion_t16.onnx       inputs "image" (1,3,224,224), "text" (1,16) int64, output "logits" (1,10)
 * text_t16.onnx         input "text" (1,16) int64, output "features" (1,256): LSTM output at the last token
 * text_t128.onnx        the same with (1,128)
 * inputs.safetensors    image_b1 (1,3,224,224), image_b8 (8,3,224,224), tokens_16 (1,16) I64,
 *                       tokens_128 (1,128) I64, gemm_a (1024,1024), gemm_b (1024,1024)
 * </pre>
 *
 * <p>A case name is one of {@link #NAMES}; {@code gemm_1024} is C = A·B with M = N = K = 1024.
 */
public final class Cases {
    /** Every case, in the order of the report. */
    public static final List<String> NAMES = List.of(
            "resnet18_b1", "resnet18_b8", "fusion_t16", "text_t16", "text_t128", "gemm_1024");

    private Cases() {
    }

    /** The ONNX file of a case (relative to the directory), or null when ONNX Runtime does not run it. */
    public static String onnxFile(String name) {
        switch (name) {
            case "resnet18_b1":
            case "resnet18_b8":
                return "resnet18.onnx";
            case "fusion_t16":
            case "text_t16":
            case "text_t128":
                return name + ".onnx";
            case "gemm_1024":
                return null;
            default:
                throw new IllegalArgumentException("unknown case '" + name + "', expected one of " + NAMES);
        }
    }

    /** The image batch of a case, (N, 3, 224, 224), or null when it takes none. */
    public static Tensor image(StateDict inputs, String name) {
        switch (name) {
            case "resnet18_b1":
            case "fusion_t16":
                return inputs.tensor("image_b1");
            case "resnet18_b8":
                return inputs.tensor("image_b8");
            default:
                return null;
        }
    }

    /** The token ids of a case as (1, T) int64 values, or null when it takes none. */
    public static long[] tokens(StateDict inputs, String name) {
        switch (name) {
            case "fusion_t16":
            case "text_t16":
                return inputs.longs("tokens_16");
            case "text_t128":
                return inputs.longs("tokens_128");
            default:
                return null;
        }
    }

    /** Token ids as vecnet's models take them: one text of int ids. */
    public static int[][] ids(long[] tokens) {
        int[] row = new int[tokens.length];
        for (int i = 0; i < row.length; i++) {
            row[i] = Math.toIntExact(tokens[i]);
        }
        return new int[][] {row};
    }

    /** inputs.safetensors of a directory. */
    public static StateDict inputs(Path dir) throws IOException {
        return StateDict.read(dir.resolve("inputs.safetensors"));
    }
}
