package vecnet.engine;

import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Chooses the kernels once per JVM, the way Lucene's vectorization provider does.
 *
 * <p>The Vector API implementation is used when the module {@code jdk.incubator.vector} is in the
 * boot layer and {@code -Dvecnet.simd=false} is not set. Otherwise the scalar kernels are used,
 * and when the module is merely missing one line is logged naming the flag to add. The vector
 * class is reached only by reflection, so a JVM without the module never tries to load it. Its
 * vectors are as wide as the hardware prefers unless {@code -Dvecnet.vectorBits} asks for less.
 */
final class KernelProvider {
    /** The system property that forces the scalar kernels when set to {@code false}. */
    public static final String SIMD_PROPERTY = "vecnet.simd";
    /**
     * The system property that narrows the vectors: {@code -Dvecnet.vectorBits=128|256|512}, capped at
     * the hardware's preferred width (so an AVX-512 host can run, test and time the AVX2 code paths).
     * Unset or empty: the preferred width.
     */
    public static final String WIDTH_PROPERTY = "vecnet.vectorBits";

    private static final System.Logger LOG = System.getLogger("vecnet.engine");

    private KernelProvider() {
    }

    static Kernels kernels() {
        return Holder.KERNELS;
    }

    private static final class Holder {
        static final Kernels KERNELS = choose();
    }

    /** True when the running JVM has the Vector API in its boot layer. */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static Kernels choose() {
        return choose(System.getProperty(SIMD_PROPERTY, "true"), vectorApiAvailable(), LOG);
    }

    /**
     * The decision, separated from the JVM's state so it can be tested: {@code simdProperty} is the
     * value of {@code -Dvecnet.simd}, {@code moduleInBootLayer} whether jdk.incubator.vector is there.
     */
    static Kernels choose(String simdProperty, boolean moduleInBootLayer, System.Logger log) {
        if ("false".equalsIgnoreCase(simdProperty)) {
            log.log(Level.DEBUG, "vecnet: -D" + SIMD_PROPERTY + "=false, using the scalar kernels");
            return ScalarKernels.INSTANCE;
        }
        if (!moduleInBootLayer) {
            log.log(Level.WARNING, "vecnet: jdk.incubator.vector is not available, using the slower scalar kernels;"
                    + " add --add-modules jdk.incubator.vector to the java command line");
            return ScalarKernels.INSTANCE;
        }
        try {
            // module-info does not name the incubator module (see there): read it now that it is present.
            // Called directly: addReads is caller-sensitive, and a method reference to it made the JVM
            // spin a class to bind the caller, 10-15 ms of a cold start.
            Optional<Module> vector = ModuleLayer.boot().findModule("jdk.incubator.vector");
            if (vector.isPresent()) {
                KernelProvider.class.getModule().addReads(vector.get());
            }
            Class<?> c = Class.forName("vecnet.engine.VectorKernels");
            return (Kernels) c.getDeclaredMethod("create").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            log.log(Level.WARNING, "vecnet: the Vector API kernels could not be loaded (" + e
                    + "), using the scalar kernels");
            return ScalarKernels.INSTANCE;
        }
    }
}
