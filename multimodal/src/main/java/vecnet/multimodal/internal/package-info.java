/**
 * Not API: helpers of the {@code vecnet} command (the demo's Java training and its pointing check,
 * a CSV line splitter), in a package the module does not export.
 */
package vecnet.multimodal.internal;
