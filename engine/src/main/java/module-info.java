/**
 * vecnet's tensor core: {@link vecnet.engine.Tensor}, the {@link vecnet.engine.Kernels} with their
 * scalar reference and Vector API twins, and the {@link vecnet.engine.ComputePool} they run on.
 *
 * <p>The Vector API is an incubator module, and an optional dependency ({@code requires static}):
 * a program on the class path or the module path that runs without
 * {@code --add-modules jdk.incubator.vector} gets no incubator warning from the JVM, and
 * {@link vecnet.engine.Kernels#get()} logs one line and falls back to the scalar kernels. With the
 * flag the module is resolved, this module reads it, and the Vector API kernels are used.
 */
module vecnet.engine {
    requires static jdk.incubator.vector;
    exports vecnet.engine;
}
