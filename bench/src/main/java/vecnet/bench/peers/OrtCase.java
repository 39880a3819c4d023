package vecnet.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.Tensor;
import vecnet.weights.StateDict;

/**
 * One {@link Cases case} on ONNX Runtime (Java API, CPU execution provider), configured as a user
 * tuning for latency would: all graph optimizations, {@code threads} intra-op threads, one inter-op
 * thread, sequential execution. {@link #run()} is what is timed: one {@code session.run}.
 */
public final class OrtCase implements AutoCloseable {
    private final OrtSession session;
    private final Map<String, OnnxTensor> feeds = new LinkedHashMap<>();

    public OrtCase(Path dir, String name, int threads) throws IOException, OrtException {
        String file = Cases.onnxFile(name);
        if (file == null) {
            throw new IllegalArgumentException("case '" + name + "' has no ONNX model");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = options(threads)) {
            session = env.createSession(dir.resolve(file).toString(), options);
        }
        StateDict inputs = Cases.inputs(dir);
        Tensor image = Cases.image(inputs, name);
        if (image != null) {
            feeds.put("image", OnnxTensor.createTensor(env, FloatBuffer.wrap(image.data()), toLong(image.shape())));
        }
        long[] tokens = Cases.tokens(inputs, name);
        if (tokens != null) {
            feeds.put("text", OnnxTensor.createTensor(env, LongBuffer.wrap(tokens), new long[] {1, tokens.length}));
        }
    }

    /** The session options every ORT run uses; {@link #describe} prints them. */
    static OrtSession.SessionOptions options(int threads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        return o;
    }

    /** One line naming the version and the options. */
    public static String describe() {
        return "onnxruntime " + OrtEnvironment.getEnvironment().getVersion() + " (Java API, CPU execution provider),"
                + " optimization ALL_OPT, execution SEQUENTIAL, intra-op threads = the case's thread count,"
                + " inter-op threads 1";
    }

    /** The first output as a flat float array (logits or features). */
    public float[] run() throws OrtException {
        try (OrtSession.Result r = session.run(feeds)) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    private static long[] toLong(int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[i];
        }
        return s;
    }

    @Override
    public void close() throws OrtException {
        for (OnnxTensor t : feeds.values()) {
            t.close();
        }
        session.close();
    }
}
