package vecnet.probe;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * Issue 15, blocker 1: what a project needs before it may depend on vecnet: an Apache-2.0 licence
 * and notice, POM metadata, sources and javadoc jars, a BOM without the parent's test tools, and a
 * README that says how to depend on it and which JVM flag to pass where. (That the artifacts build
 * and work from another project is shown by bench/consumer, which .ci/run builds.)
 */
class PublishingTest extends LibraryTest {
    private static final Path ROOT = Fixtures.dir().getParent().getParent();

    private static String read(String file) throws IOException {
        return Files.readString(ROOT.resolve(file));
    }

    private static void contains(String file, String text, String... parts) {
        for (String p : parts) {
            assertTrue(text.contains(p), file + " lacks " + p);
        }
    }

    @Test
    void licenceAndNotice() throws IOException {
        contains("LICENSE", read("LICENSE"), "Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS");
        contains("NOTICE", read("NOTICE"), "vecnet", "Apache License, Version 2.0");
    }

    @Test
    void pomMetadataSourcesJavadocAndBom() throws IOException {
        String pom = read("pom.xml");
        contains("pom.xml", pom, "<licenses>", "<name>Apache-2.0</name>", "<scm>", "<developers>", "<url>",
                "<description>", "maven-source-plugin", "<goal>jar-no-fork</goal>", "maven-javadoc-plugin",
                "<goal>jar</goal>", "<module>bom</module>");
        String bom = read("bom/pom.xml");
        contains("bom/pom.xml", bom, "<packaging>pom</packaging>", "<licenses>", "<scm>");
        for (String artifact : List.of("vecnet-engine", "vecnet-weights", "vecnet-layers", "vecnet-multimodal")) {
            contains("bom/pom.xml", bom, "<artifactId>" + artifact + "</artifactId>");
        }
        assertFalse(bom.contains("<parent>"), "the BOM must not inherit the parent's dependencyManagement");
        assertFalse(bom.contains("junit"), "the BOM must not pin test tools for its users");
    }

    @Test
    void readmeSaysHowToDependAndWhereTheFlagGoes() throws IOException {
        contains("README.md", read("README.md"), "## Use from Maven", "<artifactId>vecnet-bom</artifactId>",
                "<scope>import</scope>", "requires vecnet.multimodal;",
                "<argLine>--add-modules jdk.incubator.vector</argLine>",               // Surefire
                "<argument>jdk.incubator.vector</argument>",                           // exec
                "--add-options=--add-modules=jdk.incubator.vector");                   // jlink
    }
}
