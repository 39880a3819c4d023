/** Layers: Conv2d, BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, Linear, Embedding, LSTM, Sequential. */
package vecnet.layers;
