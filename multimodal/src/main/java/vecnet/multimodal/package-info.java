/** ResNet-18, the text branch, the fusion model, preprocessing and tokenizer. */
package vecnet.multimodal;
