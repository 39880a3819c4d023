package vecnet.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails any test during which something writes to {@code System.out} or {@code System.err}: the
 * library must log through {@code System.Logger} or throw, never print. Use it with
 * {@code @ExtendWith(NoPrinting.class)}, or extend {@link LibraryTest}.
 */
public final class NoPrinting implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoPrinting.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        ExtensionContext.Store store = context.getStore(NS);
        store.put("out", System.out);
        store.put("err", System.err);
        store.put("captured", captured);
        System.setOut(capture);
        System.setErr(capture);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        System.setOut(store.get("out", PrintStream.class));
        System.setErr(store.get("err", PrintStream.class));
        ByteArrayOutputStream captured = store.get("captured", ByteArrayOutputStream.class);
        String text = captured.toString(StandardCharsets.UTF_8);
        if (!text.isEmpty() && context.getExecutionException().isEmpty()) {
            throw new AssertionError("the test printed to stdout/stderr (library code must not print): "
                    + (text.length() > 500 ? text.substring(0, 500) + "..." : text));
        }
    }
}
