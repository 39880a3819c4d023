/** ResNet-18, the text branch, the fusion model, preprocessing and tokenizer; the demo and the vecnet command. */
module vecnet.multimodal {
    requires transitive vecnet.engine;
    requires transitive vecnet.layers;
    requires transitive vecnet.weights;
    requires java.desktop;
    exports vecnet.multimodal;
    exports vecnet.multimodal.demo;
    exports vecnet.multimodal.cli;
    exports vecnet.multimodal.train;
    exports vecnet.multimodal.parquet;
}
