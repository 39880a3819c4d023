package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;
import vecnet.testing.Fixtures;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;

/**
 * Fuzzes vocabulary files and the tokenizer: byte mutations of {@code vocab.json} and
 * {@code vocab.txt}, generated JSON documents (deep nesting, duplicated keys, lone surrogate escapes,
 * ids of −1, 2^31, 2^63, 1e400, fractions, strings), and every accepted vocabulary then tokenizes
 * random texts (any code point, including unpaired surrogates and every Python whitespace). Property:
 * see {@link FuzzHarness}; the documented refusals are an {@link IOException} naming the file (reading)
 * and an {@link IllegalArgumentException} for a text without words (encoding); every encoded id must
 * be one of the vocabulary's or the unknown id.
 */
class FuzzVocabularyTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x70c4bL);
    private static final long MAX_ALLOC = 16L << 20;

    @TempDir
    Path dir;

    private FuzzHarness.Input readAndEncode(byte[] bytes, int i, String suffix, Random rnd) throws IOException {
        Path f = dir.resolve("in" + i + suffix);
        Files.write(f, bytes);
        String text = randomText(rnd);
        return new FuzzHarness.Input(bytes, () -> {
            Vocabulary v;
            try {
                v = Vocabulary.read(f);
            } catch (IOException e) {
                if (!e.getMessage().contains(f.toString())) {
                    throw new AssertionError("the message does not name the file: " + e.getMessage(), e);
                }
                throw e;
            } finally {
                Files.deleteIfExists(f);
            }
            Tokenizer tok = new Tokenizer(v);
            for (int id : tok.encode(text)) {
                if (id != tok.unknownId() && !v.asMap().containsValue(id)) {
                    throw new AssertionError("id " + id + " is neither in the vocabulary nor the unknown id");
                }
            }
        });
    }

    private static boolean documented(Throwable t) {
        return (t instanceof IOException && t.getClass() == IOException.class) || t instanceof IllegalArgumentException;
    }

    @Test
    void mutatedVocabularies() throws IOException {
        byte[] json = Files.readAllBytes(Fixtures.file("vocab.json"));
        byte[] txt = Files.readAllBytes(Fixtures.file("vocab.txt"));
        int n = FuzzHarness.iterations(1500);
        FuzzHarness.Stats s = FuzzHarness.run("vocab-bytes", SEED, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                FuzzVocabularyTest::documented, (i, rnd, label) -> {
                    boolean isJson = rnd.nextBoolean();
                    return readAndEncode(FuzzHarness.mutate(isJson ? json : txt, rnd, label), i,
                            isJson ? ".json" : ".txt", rnd);
                });
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    @Test
    void generatedJson() {
        int n = FuzzHarness.iterations(1500);
        FuzzHarness.Stats s = FuzzHarness.run("vocab-json", SEED + 1, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                FuzzVocabularyTest::documented, (i, rnd, label) -> {
                    String doc = json(rnd);
                    label.append(doc.length() > 200 ? doc.substring(0, 200) + "..." : doc);
                    return readAndEncode(doc.getBytes(StandardCharsets.UTF_8), i, ".json", rnd);
                });
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > n / 10 && s.refused > n / 10, s.toString());
    }

    private static final String[] TOKENS = {"the", "cat", "\\u00e9t\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00x", "",
        "\\u0000", "a b", "\\t", "the", "\\\"", "\\/", "\\x", "\u00e9", "\uFEFF"};
    private static final String[] IDS = {"0", "1", "2", "49", "-1", "2147483647", "2147483648", "9223372036854775807",
        "9223372036854775808", "1e400", "1.5", "-0", "1e2", "\"3\"", "null", "true", "[]", "{}", "01", "+1", "0x10"};

    static String json(Random rnd) {
        if (rnd.nextInt(15) == 0) {
            int depth = 1 + rnd.nextInt(100_000);
            return "{\"a\":" + "[".repeat(depth) + "]".repeat(rnd.nextBoolean() ? depth : 0) + "}";
        }
        StringBuilder sb = new StringBuilder(rnd.nextInt(10) == 0 ? "\uFEFF{" : "{");
        int entries = rnd.nextInt(8);
        for (int e = 0; e < entries; e++) {
            String token = rnd.nextInt(3) == 0 ? TOKENS[rnd.nextInt(TOKENS.length)] : "w" + rnd.nextInt(20);
            String id = rnd.nextInt(4) == 0 ? IDS[rnd.nextInt(IDS.length)] : String.valueOf(rnd.nextInt(60));
            sb.append(e == 0 ? "" : rnd.nextInt(30) == 0 ? ",," : ",").append('"').append(token).append("\":").append(id);
        }
        sb.append(rnd.nextInt(20) == 0 ? "" : "}");
        if (rnd.nextInt(20) == 0) {
            sb.append(" garbage");
        }
        return sb.toString();
    }

    private static final int[] SPACES = {' ', '\t', '\n', 0x0b, 0x0c, '\r', 0x1c, 0x1f, 0x85, 0xa0, 0x1680, 0x2007,
        0x200b, 0x2028, 0x202f, 0x3000, 0xfeff};

    static String randomText(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(60);
        for (int k = 0; k < n; k++) {
            switch (rnd.nextInt(6)) {
                case 0: sb.appendCodePoint(SPACES[rnd.nextInt(SPACES.length)]); break;
                case 1: sb.append((char) (0xd800 + rnd.nextInt(0x800))); break;            // unpaired surrogate
                case 2: sb.appendCodePoint(rnd.nextInt(0x110000)); break;
                case 3: sb.append(new String[] {"the ", "cat ", "\u0130", "\u00df", "\u03a3"}[rnd.nextInt(5)]); break;
                default: sb.append((char) ('a' + rnd.nextInt(26))); break;
            }
        }
        return sb.toString();
    }
}
