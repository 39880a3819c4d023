/**
 * vecnet against its peers (PyTorch, ONNX Runtime) on identical weights and inputs: the JMH
 * benchmarks and the parity dump that bench/compare.sh runs. See {@link vecnet.bench.peers.Cases}
 * for the files they read.
 */
package vecnet.bench.peers;
