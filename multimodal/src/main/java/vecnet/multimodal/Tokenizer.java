package vecnet.multimodal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seed model's tokenizer: {@code [vocab.get(w, 0) for w in text.lower().split()]}.
 *
 * <ul>
 * <li>Lowercase with {@code toLowerCase(Locale.ROOT)}, never the default locale (in a Turkish
 *     locale "I" would become a dotless "ı"). Like Python, a final capital sigma becomes ς.</li>
 * <li>Split on exactly the characters Python's {@code str.split()} treats as whitespace
 *     ({@link #isPythonWhitespace}): Java's {@code Character.isWhitespace} misses U+0085, U+00A0,
 *     U+2007 and U+202F. Runs of whitespace count as one; leading and trailing whitespace give no
 *     empty token.</li>
 * <li>Look each word up; an unknown word gets {@link #unknownId()} (0 by default, as in the seed).</li>
 * </ul>
 * Text with no word at all is refused: the seed model's LSTM raises "Expected sequence length to
 * be larger than 0" on it.
 *
 * <p>Immutable and thread-safe.
 */
public final class Tokenizer {
    /** The id of words missing from the vocabulary, unless another is given. */
    public static final int DEFAULT_UNKNOWN_ID = 0;

    private final Vocabulary vocabulary;
    private final int unknownId;

    /** A tokenizer mapping unknown words to {@value #DEFAULT_UNKNOWN_ID}. */
    public Tokenizer(Vocabulary vocabulary) {
        this(vocabulary, DEFAULT_UNKNOWN_ID);
    }

    /** A tokenizer mapping unknown words to {@code unknownId} (≥ 0). */
    public Tokenizer(Vocabulary vocabulary, int unknownId) {
        if (vocabulary == null) {
            throw new IllegalArgumentException("vocabulary is null");
        }
        if (unknownId < 0) {
            throw new IllegalArgumentException("the unknown-word id must be >= 0, got " + unknownId);
        }
        this.vocabulary = vocabulary;
        this.unknownId = unknownId;
    }

    /** A tokenizer on {@link Vocabulary#read(Path) the vocabulary file} {@code vocabFile}, unknown words → 0. */
    public static Tokenizer load(Path vocabFile) throws IOException {
        return new Tokenizer(Vocabulary.read(vocabFile));
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public int unknownId() {
        return unknownId;
    }

    /**
     * {@code text} → token ids, length = number of words ≥ 1.
     *
     * @throws IllegalArgumentException if the text is null, empty or only whitespace
     */
    public int[] encode(String text) {
        List<String> words = words(text);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("cannot encode " + (text == null ? "null" : text.isEmpty() ? "an empty text"
                    : "a text made only of whitespace") + ": the model needs at least one word"
                    + " (PyTorch's LSTM refuses a sequence of length 0 too)");
        }
        int[] ids = new int[words.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = vocabulary.idOr(words.get(i), unknownId);
        }
        return ids;
    }

    /** How many words of {@code text} are in the vocabulary (0 when every word maps to the unknown id). */
    public int knownWords(String text) {
        int known = 0;
        for (String w : words(text)) {
            known += vocabulary.contains(w) ? 1 : 0;
        }
        return known;
    }

    /** Python's {@code text.lower().split()}: the lowercased words, never an empty one; an empty list for blank text. */
    public static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        if (text == null) {
            return words;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        int start = -1; // start of the current word, or -1 between words
        for (int i = 0; i < lower.length(); ) {
            int cp = lower.codePointAt(i);
            if (isPythonWhitespace(cp)) {
                if (start >= 0) {
                    words.add(lower.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            words.add(lower.substring(start));
        }
        return words;
    }

    /**
     * True for the 29 code points on which Python 3's {@code str.split()} splits, i.e.
     * {@code chr(cp).isspace()}: {@code \t \n \u000B \f \r}, U+001C..U+001F, space, U+0085, U+00A0,
     * U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. That is Java's
     * {@code Character.isWhitespace} plus U+0085, U+00A0, U+2007 and U+202F (the no-break spaces
     * Java excludes). Written out so that it does not move with the JDK's Unicode version.
     */
    public static boolean isPythonWhitespace(int cp) {
        if (cp <= 0x20) {
            return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
        }
        if (cp < 0x85) {
            return false;
        }
        switch (cp) {
            case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    @Override
    public String toString() {
        return "Tokenizer[" + vocabulary + ", unknown id " + unknownId + "]";
    }
}
