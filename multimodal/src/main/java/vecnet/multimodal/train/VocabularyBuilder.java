package vecnet.multimodal.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;

/**
 * Builds a vocabulary from training texts with the seed's tokenizer ({@link Tokenizer#words}, Python's
 * {@code text.lower().split()}): id 0 is the unknown word ({@code <unk>}), ids 1..N go to the words by
 * decreasing count; words with the same count keep the order in which they first appear in the texts
 * (what Python's {@code Counter(...).most_common()} gives, a stable sort over first appearance).
 * Words seen fewer than {@code minCount} times are left out, and at most {@code rows − 1} words are
 * kept so that every id fits an embedding of {@code rows} rows (the seed's 10000).
 */
public final class VocabularyBuilder {
    /** The token written for id 0. */
    public static final String UNKNOWN = "<unk>";

    private VocabularyBuilder() {
    }

    public static Vocabulary build(List<String> texts, int rows, int minCount) {
        if (rows < 2) {
            throw new IllegalArgumentException("the vocabulary needs at least 2 rows (unknown + one word), got " + rows);
        }
        Map<String, Integer> counts = new LinkedHashMap<>(); // first-appearance order
        for (String t : texts) {
            for (String w : Tokenizer.words(t)) {
                counts.merge(w, 1, Integer::sum);
            }
        }
        List<Map.Entry<String, Integer>> words = new ArrayList<>(counts.entrySet());
        words.sort((a, b) -> Integer.compare(b.getValue(), a.getValue())); // stable
        Map<String, Integer> ordered = new LinkedHashMap<>();
        ordered.put(UNKNOWN, 0);
        for (Map.Entry<String, Integer> e : words) {
            if (ordered.size() >= rows || e.getValue() < minCount) {
                break;
            }
            if (!e.getKey().equals(UNKNOWN)) {
                ordered.put(e.getKey(), ordered.size());
            }
        }
        return Vocabulary.of(ordered);
    }
}
