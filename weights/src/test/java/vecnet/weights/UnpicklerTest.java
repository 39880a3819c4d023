package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/** The restricted unpickler on hand-assembled programs: every supported opcode yields the Python value it encodes. */
class UnpicklerTest extends LibraryTest {
    private static Object run(PickleBytes p) throws WeightsFormatException {
        return Unpickler.load(null, "test.pkl", p.bytes(), (dtype, key, numel) -> {
            throw new AssertionError("no storage expected");
        });
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void everyValueOpcode() throws WeightsFormatException {
        PickleBytes p = new PickleBytes().proto(4)
                .op(0x95).raw(new byte[] {100, 0, 0, 0, 0, 0, 0, 0})            // FRAME (length ignored)
                .op('}').op(0x94)                                                // EMPTY_DICT, MEMOIZE -> memo[0]
                .op(0x8c, 1).raw(ascii("a")).op('M', 0x2c, 0x01).op('s')         // 'a': BININT2 300, SETITEM
                .op(0x8c, 1).raw(ascii("b")).op('G').raw(new byte[] {0x3f, (byte) 0xe0, 0, 0, 0, 0, 0, 0}).op('s') // 0.5 big-endian
                .op(0x8c, 1).raw(ascii("c")).op(0x8a, 2).raw(new byte[] {0x00, (byte) 0xff}).op('s')  // LONG1 -256
                .op(0x8c, 1).raw(ascii("d")).op(0x8a, 9).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1}).op('s') // 2^64
                .op(0x8c, 1).raw(ascii("e")).op(']').op('N').op('a')             // [None]
                .op('(').op(0x88).op(0x89).op('J', 0xff, 0xff, 0xff, 0xff).op('e').op('s') // APPENDS True False -1
                .op(0x8c, 1).raw(ascii("f")).op('K', 1).op(0x85).op('s')         // (1,)
                .op(0x8c, 1).raw(ascii("g")).op('K', 1).op('K', 2).op(0x86).op('s')   // (1, 2)
                .op(0x8c, 1).raw(ascii("h")).op('K', 1).op('K', 2).op('K', 3).op(0x87).op('s') // (1, 2, 3)
                .op(0x8c, 1).raw(ascii("i")).op(0x8d).raw(new byte[] {2, 0, 0, 0, 0, 0, 0, 0}).raw(ascii("xy")).op('s')
                .op(0x8c, 1).raw(ascii("j")).op('B').le32(2).raw(new byte[] {7, 8}).op('s')   // BINBYTES
                .op(0x8c, 1).raw(ascii("k")).op('C', 1, 9).op('s')               // SHORT_BINBYTES
                .op(0x8c, 1).raw(ascii("l")).op('h', 0).op('s')                  // BINGET 0: the dict itself
                .op(0x8c, 1).raw(ascii("m")).global("builtins", "set").op(']').op('K', 4).op('a').op(0x85).op('R').op('s')
                .op(0x8c, 1).raw(ascii("n")).op('K', 5).op('r').le32(70000).op('j').le32(70000).op(0x86).op('s') // LONG_BINPUT/GET
                .stop();
        Map<?, ?> d = (Map<?, ?>) run(p);
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"), List.copyOf(d.keySet()));
        assertEquals(300L, d.get("a"));
        assertEquals(0.5, d.get("b"));
        assertEquals(-256L, d.get("c"));
        assertEquals(BigInteger.ONE.shiftLeft(64), d.get("d"));
        assertEquals(Arrays.asList(null, true, false, -1L), d.get("e"));
        assertArrayEquals(new Object[] {1L}, ((Unpickler.Tuple) d.get("f")).items);
        assertArrayEquals(new Object[] {1L, 2L}, ((Unpickler.Tuple) d.get("g")).items);
        assertArrayEquals(new Object[] {1L, 2L, 3L}, ((Unpickler.Tuple) d.get("h")).items);
        assertEquals("xy", d.get("i"));
        assertArrayEquals(new byte[] {7, 8}, (byte[]) d.get("j"));
        assertArrayEquals(new byte[] {9}, (byte[]) d.get("k"));
        assertTrue(d.get("l") == d, "BINGET returns the memoised object itself");
        assertEquals(new LinkedHashSet<>(List.of(4L)), d.get("m"));
        Object[] n = ((Unpickler.Tuple) d.get("n")).items;
        assertArrayEquals(new Object[] {5L, 5L}, n);
    }

    @Test
    void malformedProgramsAreRefused() {
        String[][] cases = {
            {"no STOP", "\u0080\u0002}"},
            {"stack underflow", "\u0080\u0002s."},
            {"no MARK", "\u0080\u0002t."},
            {"memo entry 5 was never stored", "\u0080\u0002h\u0005."},
            {"unsupported pickle opcode", "\u0080\u0002\u00ff."},
            {"unsupported pickle protocol 9", "\u0080\u0009."},
            {"STOP with 2 objects", "\u0080\u0002NN."},
            {"SETITEM(S) on a list", "\u0080\u0002]NNs."},
            {"REDUCE on a", "\u0080\u0002N)R."},
        };
        for (String[] c : cases) {
            byte[] b = c[1].getBytes(StandardCharsets.ISO_8859_1);
            WeightsFormatException e = assertThrows(WeightsFormatException.class,
                    () -> Unpickler.load(null, "bad.pkl", b, (t, k, n) -> null), c[0]);
            assertTrue(e.getMessage().contains(c[0].equals("no STOP") ? "truncated" : c[0]), c[0] + ": " + e.getMessage());
        }
    }

    @Test
    void theAllowlistIsExactlyTheFiveGlobalsAStateDictNeeds() {
        assertEquals(Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
                "builtins.set", "__builtin__.set"), Unpickler.ALLOWED);
    }

    @Test
    void harmlessLookingGlobalsAreRefusedAtTheGlobalOpcode() {
        String[][] globals = {
            {"numpy.core.multiarray", "_reconstruct"}, {"collections", "defaultdict"}, {"builtins", "dict"},
            {"builtins", "list"}, {"torch", "Size"}, {"torch._utils", "_rebuild_qtensor"}, {"torch", "device"},
        };
        for (String[] g : globals) {
            // PROTO 2, then GLOBAL at byte 2, then a STOP that is never reached
            byte[] b = new PickleBytes().proto(2).global(g[0], g[1]).stop().bytes();
            WeightsFormatException e = assertThrows(WeightsFormatException.class,
                    () -> Unpickler.load(null, "g.pkl", b, (t, k, n) -> null), g[0] + "." + g[1]);
            assertTrue(e.getMessage().contains("g.pkl at byte 2: global " + g[0] + "." + g[1] + " is not allowed"),
                    e.getMessage());
        }
    }
}
