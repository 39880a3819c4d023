package vecnet.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the committed PyTorch fixtures live: {@code weights/fixtures}, written by {@code weights/python/make_fixtures.py}. */
public final class Fixtures {
    private Fixtures() {
    }

    /** The fixtures folder; the {@code vecnet.fixtures} property set by the build, else found from the working directory. */
    public static Path dir() {
        String p = System.getProperty("vecnet.fixtures");
        if (p != null && !p.isEmpty() && Files.isDirectory(Path.of(p))) {
            return Path.of(p);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("weights").resolve("fixtures");
            if (Files.isDirectory(f)) {
                return f;
            }
        }
        throw new IllegalStateException("fixtures folder weights/fixtures not found; run /usr/bin/python3 weights/python/make_fixtures.py");
    }

    /** A file in the fixtures folder, which must exist. */
    public static Path file(String name) {
        Path f = dir().resolve(name);
        if (!Files.exists(f)) {
            throw new IllegalStateException("fixture " + f + " is missing; re-run /usr/bin/python3 weights/python/make_fixtures.py");
        }
        return f;
    }
}
