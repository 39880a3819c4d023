package vecnet.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;

/**
 * The models of this JVM, one per {@link ModelSource}: the first task of an executor that needs a
 * model loads it, and every later task (and every thread) of that executor shares it, since one
 * {@link VecnetModel} serves any number of threads. A model stays loaded for the life of the JVM; a
 * load that fails is not remembered, so the next task tries again.
 */
final class ModelCache {
    private static final ConcurrentHashMap<ModelSource, VecnetModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ModelCache() {
    }

    /** The model of {@code source}, loaded on first use with {@code conf} (other tasks wait for that load). */
    static VecnetModel get(ModelSource source, Configuration conf) {
        VecnetModel m = MODELS.get(source);
        if (m != null) {
            return m;
        }
        return MODELS.computeIfAbsent(source, s -> {
            try {
                VecnetModel loaded = s.load(conf);
                LOADS.incrementAndGet();
                return loaded;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the model " + s + ": " + e.getMessage(), e);
            }
        });
    }

    /** How many models this JVM has loaded so far (for tests). */
    static int loads() {
        return LOADS.get();
    }
}
