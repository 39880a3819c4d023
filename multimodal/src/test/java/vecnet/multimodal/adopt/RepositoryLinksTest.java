package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * Issue 15, "also fix": sources and documents point only at what a reader of the repository can
 * open: no path into the machine that wrote them ({@code shared/reference/...}, {@code /work/...}),
 * and every relative link of the Markdown documents names a file that exists.
 */
class RepositoryLinksTest extends LibraryTest {

    private static Path root() {
        return Fixtures.dir().getParent().getParent(); // weights/fixtures -> the repository
    }

    private static List<Path> files(String... extensions) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root())) {
            all.filter(Files::isRegularFile)
                    .filter(p -> !root().relativize(p).toString().matches("(.*/)?(target|\\.git|node_modules)/.*"))
                    .filter(p -> Stream.of(extensions).anyMatch(e -> p.getFileName().toString().endsWith(e)))
                    .forEach(out::add);
        }
        return out;
    }

    @Test
    void noSourceOrDocumentPointsOutsideTheRepository() throws IOException {
        List<String> bad = new ArrayList<>();
        List<Path> files = files(".java", ".md", ".py", ".sh", ".xml");
        assertTrue(files.size() > 100, "found only " + files.size() + " files under " + root());
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.contains("shared/reference") || l.contains("/work/")) {
                    bad.add(root().relativize(f) + ":" + (i + 1) + ": " + l.strip());
                }
            }
        }
        bad.removeIf(s -> s.startsWith("multimodal/src/test/java/vecnet/multimodal/adopt/RepositoryLinksTest.java:")); // this file
        assertEquals(List.of(), bad);
    }

    @Test
    void relativeMarkdownLinksNameFilesThatExist() throws IOException {
        Pattern link = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");
        List<String> broken = new ArrayList<>();
        for (Path f : files(".md")) {
            Matcher m = link.matcher(Files.readString(f));
            while (m.find()) {
                String target = m.group(1);
                if (!target.matches("[a-z]+:.*") && !Files.exists(f.getParent().resolve(target))) {
                    broken.add(root().relativize(f) + " -> " + target);
                }
            }
        }
        assertEquals(List.of(), broken);
    }
}
