package vecnet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import vecnet.engine.Tensor;
import vecnet.weights.StateDict;

/**
 * Reading a full-size torchvision resnet18 (47 MB, 122 tensors) into float32 tensors: the whole
 * file is opened, parsed and every tensor converted, as a model load does.
 *
 * <p>The {@code .pth} is written by {@code weights/python/make_resnet18.py} (Debian's python3-torch,
 * run from the repository root), the safetensors file by the same script. Without torch only the
 * safetensors case can run: it is then written by vecnet itself from random weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class WeightsLoadBenchmark {
    @Param({"pth", "safetensors"})
    public String format;

    Path file;

    @Setup(Level.Trial)
    public void setup() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("vecnet-weights-bench");
        Path pth = dir.resolve("resnet18.pth"), st = dir.resolve("resnet18.safetensors");
        Path script = Path.of("weights/python/make_resnet18.py");
        if (Files.exists(script) && Files.isExecutable(Path.of("/usr/bin/python3"))) {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), pth.toString(), st.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("make_resnet18.py failed (is python3-torch installed?)");
            }
        } else if (format.equals("pth")) {
            throw new IllegalStateException("the .pth case needs /usr/bin/python3 with torch; run from the repository root");
        } else {
            vecnet.weights.SafeTensors.write(st, RandomModels.resnet18("", true, 1), java.util.Map.of());
        }
        file = format.equals("pth") ? pth : st;
    }

    @Benchmark
    public long load() throws IOException {
        StateDict sd = StateDict.read(file);
        long sum = 0;
        for (String key : sd.keys()) {
            Tensor t = sd.tensor(key);
            sum += t.size();
        }
        return sum;
    }
}
