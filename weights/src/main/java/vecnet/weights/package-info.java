/**
 * PyTorch weights for vecnet: read a state_dict from a {@code .pth} file ({@code torch.save} zip
 * format, through a restricted unpickler) or a safetensors file, and write safetensors.
 *
 * <p>Start at {@link vecnet.weights.StateDict#read(java.nio.file.Path)}: it sniffs the format and
 * returns the named tensors in file order; {@link vecnet.weights.StateDict#loadInto} fills a model
 * strictly, like PyTorch's {@code load_state_dict}. Files that are not a state_dict, or that are
 * corrupt, truncated or unsafe, are refused with a {@link vecnet.weights.WeightsFormatException}
 * that names the file and says why (and, for old formats, how to re-save them).
 *
 * <p>Depends on the JDK alone: the JSON header reader, the zip access
 * ({@link java.util.zip.ZipFile}) and the pickle subset are all here.
 */
package vecnet.weights;
