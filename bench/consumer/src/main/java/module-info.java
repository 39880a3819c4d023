/** An application module that uses vecnet; it needs nothing about the Vector API itself. */
module dev.vecnet.consumer {
    requires vecnet.multimodal;
    exports dev.vecnet.consumer;
}
