/** PyTorch weights: safetensors, .pth, StateDict. */
package vecnet.weights;
