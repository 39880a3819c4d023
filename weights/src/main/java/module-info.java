/**
 * Readers and writers for exported PyTorch weights: safetensors and the {@code .pth} zip format
 * ({@link vecnet.weights.StateDict}, {@link vecnet.weights.SafeTensors}).
 *
 * <p>{@code vecnet.weights.internal} (the JSON reader, the checks on input files, the escaping of
 * names in messages) is shared with {@code vecnet.multimodal} only: it is not API.
 */
@SuppressWarnings("module") // vecnet.multimodal, the target of the qualified export, is built after this module
module vecnet.weights {
    requires transitive vecnet.engine;
    exports vecnet.weights;
    exports vecnet.weights.internal to vecnet.multimodal;
}
