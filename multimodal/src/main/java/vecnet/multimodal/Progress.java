package vecnet.multimodal;

/**
 * Hears how far a long piece of work has gone, for example classifying a folder of pictures.
 * It is called on the caller's thread after each batch; keep it quick.
 */
@FunctionalInterface
public interface Progress {
    /** Nothing to report to. */
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} items are finished. */
    void update(int done, int total);
}
