/**
 * vecnet's tensor core: {@link vecnet.engine.Tensor}, the {@link vecnet.engine.Kernels} with their
 * scalar reference and Vector API twins, and the {@link vecnet.engine.ComputePool} they run on.
 *
 * <p>The Vector API is an incubator module, and deliberately not named here, not even as
 * {@code requires static}: javac resolves the static dependences of the modules a program compiles
 * against, so a consumer's module would be compiled against the incubator and get its warning
 * (fatal with {@code -Werror}). vecnet is compiled with {@code --add-reads
 * vecnet.engine=jdk.incubator.vector}, and at run time {@link vecnet.engine.Kernels#get()} adds
 * that read edge itself when the JVM was started with {@code --add-modules jdk.incubator.vector}
 * and then uses the Vector API kernels. Without the flag, on the class path or the module path,
 * the JVM prints no incubator warning and vecnet logs one line and uses the scalar kernels.
 */
module vecnet.engine {
    exports vecnet.engine;
}
