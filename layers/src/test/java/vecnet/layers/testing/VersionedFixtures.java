package vecnet.layers.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import vecnet.testing.Fixtures;
import vecnet.weights.StateDict;

/**
 * Reads a safetensors fixture written by one of {@code weights/python/}'s generators and checks the
 * version it records in its metadata, so that a test never compares against a fixture of another
 * layout. Shared with multimodal's tests through this module's test-jar.
 */
public final class VersionedFixtures {
    private VersionedFixtures() {
    }

    /**
     * The fixture {@code name} (relative to {@link Fixtures#dir()}), whose metadata must say
     * {@code versionKey = version}; else the failure names {@code script}, the generator to run again.
     */
    public static StateDict read(String name, String versionKey, String version, String script) {
        StateDict sd;
        try {
            sd = StateDict.read(Fixtures.file(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(version, sd.metadata().get(versionKey),
                name + " has another version; re-run /usr/bin/python3 weights/python/" + script);
        return sd;
    }
}
