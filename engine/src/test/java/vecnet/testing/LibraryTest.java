package vecnet.testing;

import org.junit.jupiter.api.extension.ExtendWith;

/** Base class of library tests: any output to stdout or stderr fails the test ({@link NoPrinting}). */
@ExtendWith(NoPrinting.class)
public abstract class LibraryTest {
}
