package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.layers.Linear;
import vecnet.multimodal.FusionModel;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Issue 15, "export only what users need": the module descriptors export the API packages and no
 * more, a consumer module cannot compile against an internal class, internals that need no other
 * package are package-private, and the {@code vecnet} command still runs from the module path
 * although its package is not exported.
 */
class PublicSurfaceTest extends LibraryTest {

    /** The compiled modules (target/classes directories, or jars), as the module path. */
    private static List<Path> modules() throws URISyntaxException {
        List<Path> out = new ArrayList<>();
        for (Class<?> c : List.of(Tensor.class, StateDict.class, Linear.class, FusionModel.class)) {
            out.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        return out;
    }

    private static String modulePath() throws URISyntaxException {
        return modules().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void theModulesExportTheirApiPackagesOnly() throws Exception {
        Map<String, Set<String>> exports = new TreeMap<>();
        for (ModuleReference ref : ModuleFinder.of(modules().toArray(Path[]::new)).findAll()) {
            for (ModuleDescriptor.Exports e : ref.descriptor().exports()) {
                exports.computeIfAbsent(ref.descriptor().name(), k -> new TreeSet<>())
                        .add(e.source() + (e.isQualified() ? " to " + e.targets() : ""));
            }
        }
        assertEquals(Map.of(
                "vecnet.engine", Set.of("vecnet.engine"),
                "vecnet.weights", Set.of("vecnet.weights", "vecnet.weights.internal to [vecnet.multimodal]"),
                "vecnet.layers", Set.of("vecnet.layers", "vecnet.layers.train"),
                "vecnet.multimodal", Set.of("vecnet.multimodal", "vecnet.multimodal.demo", "vecnet.multimodal.train")),
                exports);
    }

    @Test
    void internalsThatNoOtherPackageNeedsArePackagePrivate() throws ClassNotFoundException {
        for (String name : List.of("vecnet.engine.ScalarKernels", "vecnet.engine.KernelProvider", "vecnet.engine.VectorGemm",
                "vecnet.multimodal.PillowResize", "vecnet.multimodal.BasicBlock", "vecnet.multimodal.train.PthWriter")) {
            assertFalse(Modifier.isPublic(Class.forName(name).getModifiers()), name + " is public");
        }
    }

    private static String compile(Path dir, Map<String, String> sources) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        List<Path> files = new ArrayList<>();
        files.add(Files.writeString(src.resolve("module-info.java"), "module app { requires vecnet.multimodal; }"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            files.add(Files.writeString(Files.createDirectories(src.resolve("app")).resolve(e.getKey() + ".java"),
                    "package app;\n" + e.getValue()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(messages, fm, null,
                    List.of("-Xlint:all", "-Werror", "-XDrawDiagnostics", "--module-path", modulePath(),
                            "-d", dir.resolve("out").toString()),
                    null, fm.getJavaFileObjectsFromPaths(files)).call();
            return (ok ? "OK\n" : "FAILED\n") + messages;
        }
    }

    @Test
    void aConsumerModuleCompilesAgainstTheApi(@TempDir Path dir) throws Exception {
        String r = compile(dir, Map.of("Main", """
                import vecnet.multimodal.*;
                import vecnet.multimodal.demo.DemoModel;
                import vecnet.multimodal.train.Trainer;
                public class Main {
                    static int use(FusionModel m, Classifier c, Trainer t) throws java.io.IOException {
                        vecnet.engine.Tensor x = m.resnet().features(vecnet.engine.Tensor.zeros(1, 3, 64, 64));
                        m.namedTensors().get("fc.weight").data()[0] = 1f;
                        m.weightsChanged();
                        vecnet.layers.Linear head = new vecnet.layers.Linear(4, 2, true);
                        vecnet.weights.StateDict.of(head.namedTensors()).loadInto(head);
                        return x.size() + DemoModel.load().labels().size() + vecnet.engine.Kernels.get().name().length();
                    }
                }
                """));
        assertTrue(r.startsWith("OK"), r);
    }

    @Test
    void aConsumerModuleCannotReachTheInternals(@TempDir Path dir) throws Exception {
        String r = compile(dir, Map.of(
                "UsesJson", "class UsesJson { Object o = vecnet.weights.internal.Json.parse(\"1\"); }",
                "UsesCli", "class UsesCli { Class<?> c = vecnet.multimodal.cli.Cli.class; }",
                "UsesCsv", "class UsesCsv { Object o = vecnet.multimodal.internal.Csv.cells(\"a,b\"); }",
                "UsesParquet", "class UsesParquet { Class<?> c = vecnet.multimodal.parquet.ParquetFile.class; }",
                "UsesScalar", "class UsesScalar { Class<?> c = vecnet.engine.ScalarKernels.class; }",
                "UsesLayers", "class UsesLayers { Object o = ((vecnet.multimodal.FusionModel) null).fc; }"));
        assertTrue(r.startsWith("FAILED"), r);
        for (String file : List.of("UsesJson", "UsesCli", "UsesCsv", "UsesParquet", "UsesScalar", "UsesLayers")) {
            assertTrue(r.contains(file + ".java:"), file + " compiled:\n" + r);
        }
    }

    @Test
    void theCommandRunsFromTheModulePath() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath(), "-m", "vecnet.multimodal/vecnet.multimodal.cli.Cli", "--version");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM did not finish");
        String text = new String(out, StandardCharsets.UTF_8) + new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.startsWith("vecnet "), text);
    }
}
