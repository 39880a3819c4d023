/**
 * ResNet-18, the text branch, the fusion model, preprocessing and tokenizer
 * ({@link vecnet.multimodal.Classifier} first); training from Java ({@code vecnet.multimodal.train});
 * the bundled demo model and its data set ({@code vecnet.multimodal.demo}).
 *
 * <p>Not exported: the {@code vecnet} command ({@code vecnet.multimodal.cli}, whose main class runs
 * from the class path, the runnable jar or {@code -m vecnet.multimodal/vecnet.multimodal.cli.Cli}),
 * the image decoders ({@code .image}), the Parquet reader ({@code .parquet}) and helpers shared
 * between them ({@code .internal}).
 */
module vecnet.multimodal {
    requires transitive vecnet.engine;
    requires transitive vecnet.layers;
    requires transitive vecnet.weights;
    requires java.desktop;
    exports vecnet.multimodal;
    exports vecnet.multimodal.demo;
    exports vecnet.multimodal.train;
}
