package vecnet.probe;

import vecnet.engine.Kernels;

/**
 * Prints the name of the kernels the provider chose, for {@code ModulePathTest}, which runs it in a
 * fresh JVM with {@code vecnet.engine} on the module path. Not a test itself.
 */
public final class KernelsProbe {
    private KernelsProbe() {
    }

    public static void main(String[] args) {
        System.out.println("kernels=" + Kernels.get().name());
    }
}
