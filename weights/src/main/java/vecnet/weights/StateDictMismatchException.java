package vecnet.weights;

import java.util.List;

/**
 * A state_dict that does not fit its target, listing every problem at once as PyTorch's strict
 * {@code load_state_dict} does: missing keys (in the target, not in the file), unexpected keys
 * (in the file, not in the target) and shape mismatches, each by name.
 */
public final class StateDictMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final List<String> missingKeys;
    private final List<String> unexpectedKeys;
    private final List<String> shapeMismatches;

    StateDictMismatchException(String message, List<String> missingKeys, List<String> unexpectedKeys,
                               List<String> shapeMismatches) {
        super(message);
        this.missingKeys = List.copyOf(missingKeys);
        this.unexpectedKeys = List.copyOf(unexpectedKeys);
        this.shapeMismatches = List.copyOf(shapeMismatches);
    }

    /** Keys the target has and the state_dict lacks, in target order. */
    public List<String> missingKeys() {
        return missingKeys;
    }

    /** Keys the state_dict has and the target lacks, in file order. */
    public List<String> unexpectedKeys() {
        return unexpectedKeys;
    }

    /** Keys present on both sides with different shapes, in target order. */
    public List<String> shapeMismatches() {
        return shapeMismatches;
    }
}
