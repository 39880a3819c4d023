/** ResNet-18, the text branch, the fusion model, preprocessing and tokenizer. */
module vecnet.multimodal {
    requires transitive vecnet.engine;
    requires transitive vecnet.layers;
    requires transitive vecnet.weights;
    requires java.desktop;
    exports vecnet.multimodal;
}
