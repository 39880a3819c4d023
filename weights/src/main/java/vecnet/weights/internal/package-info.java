/**
 * Not API: the JSON reader, the checks every reader makes on an input file, and the escaping of
 * names in messages, shared by {@code vecnet.weights} and {@code vecnet.multimodal} (the module
 * exports this package to {@code vecnet.multimodal} only).
 */
package vecnet.weights.internal;
