package vecnet.bench.peers;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.weights.SafeTensors;

/**
 * Before anything is timed, bench/compare.sh runs every case once here and compares the outputs with
 * PyTorch's (bench/python/compare_check.py), so that a fast wrong answer cannot win.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp bench/target/benchmarks.jar vecnet.bench.peers.ParityDump DIR OUT.safetensors THREADS...
 * </pre>
 *
 * writes {@code vecnet.<case>.t<threads>} for every case and thread count and {@code ort.<case>} (ONNX
 * Runtime, first thread count) for every case that has an ONNX model, and prints each peer's configuration.
 */
public final class ParityDump {
    private ParityDump() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: ParityDump DIR OUT.safetensors THREADS...");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        System.out.println("vecnet: JDK " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "),"
                + " kernels " + Kernels.get().name() + ", threads " + String.join("/", java.util.Arrays.copyOfRange(args, 2, args.length))
                + ", " + Runtime.getRuntime().availableProcessors() + " processors visible");
        System.out.println("ort:    " + OrtCase.describe());
        for (int i = 2; i < args.length; i++) {
            int threads = Integer.parseInt(args[i]);
            for (String name : Cases.NAMES) {
                try (VecnetCase c = new VecnetCase(dir, name, threads, true)) {
                    outputs.put("vecnet." + name + ".t" + threads, c.run().copy());
                }
            }
        }
        int threads = Integer.parseInt(args[2]);
        for (String name : Cases.NAMES) {
            if (Cases.onnxFile(name) != null) {
                try (OrtCase c = new OrtCase(dir, name, threads)) {
                    float[] r = c.run();
                    outputs.put("ort." + name, Tensor.of(r, r.length));
                }
            }
        }
        SafeTensors.write(out, outputs, Map.of("written_by", "vecnet.bench.peers.ParityDump"));
        System.out.println("wrote " + outputs.size() + " outputs to " + out);
    }
}
