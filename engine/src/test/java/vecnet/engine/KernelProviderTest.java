package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/** The provider picks the Vector API when it can, and otherwise falls back with one logged line. */
class KernelProviderTest extends LibraryTest {

    /** A logger that records what it is given. */
    static final class Recorder implements System.Logger {
        final List<String> lines = new ArrayList<>();
        final List<Level> levels = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            levels.add(level);
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            levels.add(level);
            lines.add(format);
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            log(level, null, msgSupplier.get(), (Throwable) null);
        }
    }

    @Test
    void testsRunWithTheVectorApi() {
        assertTrue(KernelProvider.vectorApiAvailable(), "surefire passes --add-modules jdk.incubator.vector");
        assertTrue(Kernels.get().name().startsWith("vector-"), Kernels.get().name());
    }

    @Test
    void missingModuleFallsBackWithOneLineNamingTheFlag() {
        Recorder log = new Recorder();
        Kernels k = KernelProvider.choose("true", false, log);
        assertSame(Kernels.scalar(), k);
        assertEquals(1, log.lines.size());
        assertEquals(System.Logger.Level.WARNING, log.levels.get(0));
        assertTrue(log.lines.get(0).contains("--add-modules jdk.incubator.vector"), log.lines.get(0));
    }

    @Test
    void propertyForcesScalar() {
        Recorder log = new Recorder();
        assertSame(Kernels.scalar(), KernelProvider.choose("false", true, log));
        assertSame(Kernels.scalar(), KernelProvider.choose("FALSE", true, log));
        assertTrue(KernelProvider.choose("true", true, log).name().startsWith("vector-"));
    }

    @Test
    void widthPropertyNarrowsTheVectorsAndIsCappedByTheCpu() {
        Recorder log = new Recorder();
        assertEquals(512, VectorKernels.species(null, 512, log).vectorBitSize());
        assertEquals(512, VectorKernels.species("", 512, log).vectorBitSize());
        assertEquals(256, VectorKernels.species("256", 512, log).vectorBitSize());
        assertEquals(128, VectorKernels.species(" 128 ", 256, log).vectorBitSize());
        assertTrue(log.levels.stream().allMatch(l -> l == System.Logger.Level.DEBUG), log.lines.toString());
        assertEquals(4, log.lines.size(), "one line per choice");
        log.lines.clear();
        log.levels.clear();
        assertEquals(256, VectorKernels.species("512", 256, log).vectorBitSize());
        assertEquals(256, VectorKernels.species("96", 256, log).vectorBitSize());
        assertEquals(List.of(System.Logger.Level.WARNING, System.Logger.Level.DEBUG,
                System.Logger.Level.WARNING, System.Logger.Level.DEBUG), log.levels);
        assertTrue(log.lines.get(0).contains(KernelProvider.WIDTH_PROPERTY), log.lines.get(0));
    }

    @Test
    void nameReportsTheWidthInUse() {
        String asked = System.getProperty(KernelProvider.WIDTH_PROPERTY, "");
        int bits = asked.isBlank() ? jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize()
                : Math.min(Integer.parseInt(asked.strip()), jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertEquals("vector-" + bits, Kernels.get().name());
        assertEquals(bits / 32, VectorGemm.VL);
    }
}
