/** Readers and writers for exported PyTorch weights: safetensors and the {@code .pth} zip format. */
module vecnet.weights {
    requires transitive vecnet.engine;
    exports vecnet.weights;
}
