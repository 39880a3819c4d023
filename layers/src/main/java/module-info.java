/** The neural-network layers of vecnet, one small final class each. */
module vecnet.layers {
    requires transitive vecnet.engine;
    exports vecnet.layers;
    exports vecnet.layers.train;
}
