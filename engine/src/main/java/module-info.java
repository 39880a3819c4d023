/**
 * vecnet's tensor core: {@link vecnet.engine.Tensor}, the {@link vecnet.engine.Kernels} with their
 * scalar reference and Vector API twins, and the {@link vecnet.engine.ComputePool} they run on.
 *
 * <p>The Vector API is an incubator module. When a program runs on the class path without
 * {@code --add-modules jdk.incubator.vector}, {@link vecnet.engine.Kernels#get()} logs one line
 * and falls back to the scalar kernels.
 */
module vecnet.engine {
    requires jdk.incubator.vector;
    exports vecnet.engine;
}
