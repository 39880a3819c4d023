package vecnet.weights;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vecnet.weights.internal.Escape;

/**
 * A restricted unpickler for the {@code data.pkl} of a PyTorch zip archive: it rebuilds dicts,
 * lists, tuples, numbers, strings and tensors, and nothing else.
 *
 * <p>This is the security boundary of the {@code .pth} reader. Python's pickle can call any
 * importable function ({@code os.system} ...); this one resolves only the globals of {@link #ALLOWED}
 * and refuses every other one by name, at the GLOBAL opcode, before anything runs. A whole pickled
 * {@code nn.Module} ({@code torch.save(model)}) is refused with a hint to save {@code model.state_dict()}.
 *
 * <p>Python objects map to: dict/OrderedDict → {@code LinkedHashMap}, list → {@code ArrayList},
 * tuple → {@link Tuple}, set → {@code LinkedHashSet}, str → String, bytes → byte[], int → Long (or
 * BigInteger), float → Double, bool → Boolean, None → null, tensor → {@link StoredTensor}.
 *
 * <p>Bounds: every length is checked against the bytes left before allocating; the stack, the marks
 * and the memo grow by at most one entry per opcode and are capped ({@link #MAX_STACK},
 * {@link #MAX_MEMO}), far above what a state_dict needs (torch's pickler batches SETITEMS by 1000).
 * Work is linear in the pickle: hashable tuples are interned as they are built, so a dict key is
 * hashed and compared in O(1) however big, deep or often reused it is, and nothing recurses; error
 * messages print bounded summaries of the values they quote ({@link #describe}).
 */
final class Unpickler {
    /** Where a persistent id {@code ('storage', StorageClass, key, location, numel)} gets its bytes. */
    interface StorageLoader {
        /** The storage {@code key} of {@code numel} elements of {@code dtype}, as little-endian bytes. */
        ByteBuffer load(DType dtype, String key, long numel) throws WeightsFormatException;
    }

    /**
     * A Python tuple. A tuple that may be a dict key (no list, dict or set inside, at any depth) is
     * {@code hashable} and interned when it is built ({@link Unpickler#tuple}): its items are then
     * atoms or interned tuples, so equality and the hash are shallow (tuple items compare by identity),
     * computed once, and cost no recursion however deep the nesting or however often the key is used.
     */
    static final class Tuple {
        final Object[] items;
        final boolean hashable;
        private final int hash;

        Tuple(Object[] items) {
            this.items = items;
            boolean h = true;
            int code = 1;
            for (Object o : items) {
                if (o instanceof Tuple t ? !t.hashable : o instanceof List || o instanceof Map || o instanceof Set) {
                    h = false;
                    break;
                }
                code = 31 * code + (o instanceof Tuple ? o.hashCode() : java.util.Objects.hashCode(o));
            }
            this.hashable = h;
            this.hash = code;
        }

        /** Shallow: interned tuples are equal exactly when their items are (tuple items by identity). */
        @Override
        public boolean equals(Object other) {
            if (this == other) {
                return true;
            }
            if (!(other instanceof Tuple t) || !hashable || !t.hashable || hash != t.hash || items.length != t.items.length) {
                return false;
            }
            for (int i = 0; i < items.length; i++) {
                Object a = items[i], b = t.items[i];
                if (a instanceof Tuple ? a != b : !java.util.Objects.equals(a, b)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hashable ? hash : System.identityHashCode(this);
        }

        /** Shallow and bounded, so that a self-referencing or huge structure prints in a few words. */
        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** A resolved allowlisted global, for example {@code torch._utils._rebuild_tensor_v2}. */
    static final class Global {
        final String module, name;

        Global(String module, String name) {
            this.module = module;
            this.name = name;
        }

        String qualified() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualified();
        }
    }

    /** A storage, the result of BINPERSID. */
    static final class Storage {
        final DType dtype;
        final ByteBuffer bytes;

        Storage(DType dtype, ByteBuffer bytes) {
            this.dtype = dtype;
            this.bytes = bytes;
        }
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    /** The only globals a state_dict needs (module.name; Python 2 names set from protocol 2 too). */
    static final Set<String> ALLOWED = Set.of(
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter",
            "builtins.set", "__builtin__.set");

    /** The most dimensions of a tensor, as in PyTorch. */
    static final int MAX_DIMS = 64;
    /** The deepest stack (and the most marks) accepted. */
    static final int MAX_STACK = 1 << 20;
    /** The most memo entries accepted: a state_dict uses a few per tensor. */
    static final int MAX_MEMO = 1 << 20;

    private final Path file;
    private final String entry;
    private final byte[] b;
    private final StorageLoader loader;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<Tuple, Tuple> interned = new HashMap<>();

    private Unpickler(Path file, String entry, byte[] pickle, StorageLoader loader) {
        this.file = file;
        this.entry = entry;
        this.b = pickle;
        this.loader = loader;
    }

    /** Runs the pickle program in {@code pickle} (the entry {@code entry} of {@code file}) to its STOP. */
    static Object load(Path file, String entry, byte[] pickle, StorageLoader loader) throws WeightsFormatException {
        return new Unpickler(file, entry, pickle, loader).run();
    }

    private Object run() throws WeightsFormatException {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80: { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) {
                        throw fail(at, "unsupported pickle protocol " + v);
                    }
                    break;
                }
                case 0x95: // FRAME: a length hint; the data follows inline
                    need(8);
                    pos += 8;
                    break;
                case '.': // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail(at, "STOP with " + stack.size() + " objects on the stack");
                    }
                    return stack.get(0);
                case 'c': { // GLOBAL module\nname\n
                    String module = line();
                    String name = line();
                    push(global(at, module, name));
                    break;
                }
                case 0x93: { // STACK_GLOBAL
                    Object name = pop(at), module = pop(at);
                    if (!(module instanceof String) || !(name instanceof String)) {
                        throw fail(at, "STACK_GLOBAL needs two strings");
                    }
                    push(global(at, (String) module, (String) name));
                    break;
                }
                case 'q': memoPut(at, u8()); break;                               // BINPUT
                case 'r': memoPut(at, u32()); break;                              // LONG_BINPUT
                case 0x94: memoPut(at, memo.size()); break;                       // MEMOIZE
                case 'h': push(memoGet(at, u8())); break;                         // BINGET
                case 'j': push(memoGet(at, u32())); break;                        // LONG_BINGET
                case '(': // MARK
                    if (marks.size() >= MAX_STACK) {
                        throw fail(at, "more than " + MAX_STACK + " open MARKs");
                    }
                    marks.add(stack.size());
                    break;
                case ')': push(tuple(new Object[0])); break;                      // EMPTY_TUPLE
                case 't': push(tuple(popMark(at).toArray())); break;              // TUPLE
                case 0x85: push(tuple(new Object[] {pop(at)})); break;            // TUPLE1
                case 0x86: { // TUPLE2
                    Object y = pop(at), x = pop(at);
                    push(tuple(new Object[] {x, y}));
                    break;
                }
                case 0x87: { // TUPLE3
                    Object z = pop(at), y = pop(at), x = pop(at);
                    push(tuple(new Object[] {x, y, z}));
                    break;
                }
                case 'N': push(null); break;                                      // NONE
                case 0x88: push(Boolean.TRUE); break;                             // NEWTRUE
                case 0x89: push(Boolean.FALSE); break;                            // NEWFALSE
                case 'J': push((long) le(4).getInt()); break;                     // BININT
                case 'K': push((long) u8()); break;                               // BININT1
                case 'M': push((long) (le(2).getShort() & 0xffff)); break;        // BININT2
                case 0x8a: push(long1(at)); break;                                // LONG1
                case 'G': { // BINFLOAT: 8 bytes, big-endian
                    need(8);
                    push(ByteBuffer.wrap(b, pos, 8).order(ByteOrder.BIG_ENDIAN).getDouble());
                    pos += 8;
                    break;
                }
                case 'X': push(utf8(at, u32())); break;                           // BINUNICODE
                case 0x8c: push(utf8(at, u8())); break;                           // SHORT_BINUNICODE
                case 0x8d: push(utf8(at, u64(at))); break;                        // BINUNICODE8
                case 'B': push(bytes(u32())); break;                              // BINBYTES
                case 'C': push(bytes(u8())); break;                               // SHORT_BINBYTES
                case '}': push(new LinkedHashMap<Object, Object>()); break;       // EMPTY_DICT
                case ']': push(new ArrayList<Object>()); break;                   // EMPTY_LIST
                case 's': { // SETITEM
                    Object v = pop(at), k = pop(at);
                    dict(at, top(at)).put(key(at, k), v);
                    break;
                }
                case 'u': { // SETITEMS
                    List<Object> items = popMark(at);
                    if (items.size() % 2 != 0) {
                        throw fail(at, "SETITEMS with an odd number of items");
                    }
                    Map<Object, Object> d = dict(at, top(at));
                    for (int i = 0; i < items.size(); i += 2) {
                        d.put(key(at, items.get(i)), items.get(i + 1));
                    }
                    break;
                }
                case 'a': { // APPEND
                    Object v = pop(at);
                    list(at, top(at)).add(v);
                    break;
                }
                case 'e': { // APPENDS
                    List<Object> items = popMark(at);
                    list(at, top(at)).addAll(items);
                    break;
                }
                case 'R': { // REDUCE
                    Object args = pop(at), callable = pop(at);
                    push(reduce(at, callable, args));
                    break;
                }
                case 'b': { // BUILD: only the OrderedDict._metadata of a state_dict, which is ignored
                    pop(at);
                    Object target = top(at);
                    if (!(target instanceof Map)) {
                        throw fail(at, "BUILD on a " + typeName(target) + " (only a state_dict's OrderedDict may be built)");
                    }
                    break;
                }
                case 'Q': { // BINPERSID
                    push(persistent(at, pop(at)));
                    break;
                }
                case 0x81: case 0x92: // NEWOBJ, NEWOBJ_EX
                    throw fail(at, "object construction (NEWOBJ) is not part of a state_dict: this looks like a whole"
                            + " pickled object or nn.Module; save model.state_dict() instead");
                default:
                    throw fail(at, "unsupported pickle opcode 0x" + Integer.toHexString(op)
                            + (op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
            }
        }
    }

    private Object global(int at, String module, String name) throws WeightsFormatException {
        if (ALLOWED.contains(module + "." + name)) {
            return new Global(module, name);
        }
        if (module.equals("torch") && DType.fromTorchStorage(name) != null) {
            return new Global(module, name);
        }
        String q = Escape.text(module + "." + name, 120);
        if (module.startsWith("torch.nn.modules") || module.startsWith("torchvision.models") || module.equals("__main__")) {
            throw fail(at, "global " + q + " is not allowed: the file holds a whole pickled nn.Module"
                    + " (torch.save(model)); save model.state_dict() instead");
        }
        if (q.equals("torch._utils._rebuild_tensor_v3")) {
            throw fail(at, "global " + q + " is not allowed: a tensor of a dtype without a typed storage"
                    + " (vecnet reads " + Arrays.toString(DType.values()) + ")");
        }
        throw fail(at, "global " + q + " is not allowed in a state_dict (only tensors, dicts, lists and numbers"
                + " are read; refusing to unpickle arbitrary objects)");
    }

    private Object reduce(int at, Object callable, Object argsObj) throws WeightsFormatException {
        if (!(callable instanceof Global)) {
            throw fail(at, "REDUCE on a " + typeName(callable) + ", not an allowed global");
        }
        if (!(argsObj instanceof Tuple)) {
            throw fail(at, "REDUCE arguments are a " + typeName(argsObj) + ", not a tuple");
        }
        Object[] args = ((Tuple) argsObj).items;
        String q = ((Global) callable).qualified();
        switch (q) {
            case "collections.OrderedDict": {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.length == 1 && args[0] instanceof List) {
                    for (Object pair : (List<?>) args[0]) {
                        if (!(pair instanceof Tuple) || ((Tuple) pair).items.length != 2) {
                            throw fail(at, "OrderedDict argument is not a list of pairs");
                        }
                        d.put(key(at, ((Tuple) pair).items[0]), ((Tuple) pair).items[1]);
                    }
                } else if (args.length != 0) {
                    throw fail(at, "OrderedDict called with " + args.length + " arguments");
                }
                return d;
            }
            case "builtins.set":
            case "__builtin__.set": {
                if (args.length == 0) {
                    return new LinkedHashSet<>();
                }
                if (args.length == 1 && args[0] instanceof List) {
                    for (Object element : (List<?>) args[0]) {
                        key(at, element);
                    }
                    return new LinkedHashSet<>((List<?>) args[0]);
                }
                throw fail(at, "set() called with unexpected arguments");
            }
            case "torch._utils._rebuild_parameter": {
                // (data, requires_grad, backward_hooks): a Parameter is its data for inference
                if (args.length < 1 || !(args[0] instanceof StoredTensor)) {
                    throw fail(at, "_rebuild_parameter without a tensor");
                }
                return args[0];
            }
            case "torch._utils._rebuild_tensor_v2":
                return rebuildTensor(at, args);
            default:
                throw fail(at, q + " cannot be called");
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private StoredTensor rebuildTensor(int at, Object[] a) throws WeightsFormatException {
        if (a.length < 4 || !(a[0] instanceof Storage)) {
            throw fail(at, "_rebuild_tensor_v2 needs (storage, offset, size, stride, ...), got " + a.length + " arguments");
        }
        Storage s = (Storage) a[0];
        long offset = integer(at, "storage_offset", a[1]);
        long[] size = integers(at, "size", a[2]);
        long[] stride = integers(at, "stride", a[3]);
        if (size.length > MAX_DIMS) {
            throw fail(at, "tensor of " + size.length + " dimensions (PyTorch allows at most " + MAX_DIMS + ")");
        }
        int[] shape = new int[size.length];
        for (int i = 0; i < size.length; i++) {
            if (size[i] < 0 || size[i] > Integer.MAX_VALUE) {
                throw fail(at, "tensor size " + Arrays.toString(size) + " is invalid");
            }
            shape[i] = (int) size[i];
        }
        try {
            return new StoredTensor(s.dtype, shape, s.bytes, offset, stride);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw fail(at, "tensor view outside its storage: " + e.getMessage());
        }
    }

    /** {@code ('storage', torch.FloatStorage, key, location, numel[, view_metadata])}; the location is ignored. */
    private Storage persistent(int at, Object pid) throws WeightsFormatException {
        if (!(pid instanceof Tuple)) {
            throw fail(at, "persistent id is a " + typeName(pid) + ", not a tuple");
        }
        Object[] t = ((Tuple) pid).items;
        if (t.length < 5 || !"storage".equals(t[0])) {
            throw fail(at, "persistent id " + describe(pid) + " is not ('storage', class, key, location, numel)");
        }
        if (t.length > 5 && t[5] != null) {
            throw fail(at, "storage view metadata (a legacy storage view) is not supported");
        }
        if (!(t[1] instanceof Global) || !((Global) t[1]).module.equals("torch")
                || DType.fromTorchStorage(((Global) t[1]).name) == null) {
            throw fail(at, "persistent id names " + describe(t[1]) + ", not a typed torch storage class");
        }
        if (!(t[2] instanceof String)) {
            throw fail(at, "storage key " + describe(t[2]) + " is not a string");
        }
        DType dtype = DType.fromTorchStorage(((Global) t[1]).name);
        long numel = integer(at, "storage numel", t[4]);
        if (numel < 0) {
            throw fail(at, "negative storage size " + numel);
        }
        return new Storage(dtype, loader.load(dtype, (String) t[2], numel));
    }

    private long integer(int at, String what, Object v) throws WeightsFormatException {
        if (!(v instanceof Long)) {
            throw fail(at, what + " is a " + typeName(v) + ", not an integer");
        }
        return (Long) v;
    }

    private long[] integers(int at, String what, Object v) throws WeightsFormatException {
        if (!(v instanceof Tuple)) {
            throw fail(at, what + " is a " + typeName(v) + ", not a tuple");
        }
        Object[] items = ((Tuple) v).items;
        long[] out = new long[items.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(at, what, items[i]);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(int at, Object o) throws WeightsFormatException {
        if (!(o instanceof Map)) {
            throw fail(at, "SETITEM(S) on a " + typeName(o) + ", not a dict");
        }
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(int at, Object o) throws WeightsFormatException {
        if (!(o instanceof List)) {
            throw fail(at, "APPEND(S) on a " + typeName(o) + ", not a list");
        }
        return (List<Object>) o;
    }

    /**
     * A tuple; a hashable one is interned (hash-consed), so that equal hashable tuples are the same
     * object and comparing two of them never walks their contents. Each tuple costs O(items) once.
     */
    private Tuple tuple(Object[] items) {
        Tuple t = new Tuple(items);
        return t.hashable ? interned.computeIfAbsent(t, x -> x) : t;
    }

    /**
     * Dict keys and set items must be hashable, as in Python ({@code TypeError: unhashable type}): no
     * list, dict or set, nor a tuple holding one at any depth (hashing a list that contains itself, or
     * one nested 100,000 deep, would recurse without end in Java). Tuples know whether they are
     * hashable from the moment they are built, so this check is O(1).
     */
    private Object key(int at, Object k) throws WeightsFormatException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean
                || k instanceof BigInteger || (k instanceof Tuple t && t.hashable)) {
            return k;
        }
        if (k instanceof List || k instanceof Map || k instanceof Set || k instanceof Tuple) {
            throw fail(at, "unhashable type: '" + (k instanceof Tuple ? "tuple' holding a list, dict or set"
                    : (k instanceof Set ? "set" : typeName(k)) + "'") + " as a dict key or set element");
        }
        throw fail(at, "a " + typeName(k) + " cannot be a dict key or set element");
    }

    /** At most this many characters of a string are quoted in a message. */
    private static final int MAX_QUOTED = 60;

    /**
     * A bounded, escaped one-line summary of a pickled value for messages: never recursive (a list that
     * contains itself, or one nested 100,000 deep, prints as its type and size), strings truncated and
     * their control characters escaped, at most 5 items of a tuple.
     */
    static String describe(Object o) {
        if (o instanceof String str) {
            return Escape.quoted(str, MAX_QUOTED);
        }
        if (o == null) {
            return "None";
        }
        if (o instanceof Long || o instanceof Double || o instanceof Boolean || o instanceof Global) {
            return String.valueOf(o);
        }
        if (o instanceof BigInteger big) {
            return big.bitLength() <= 128 ? big.toString() : "an integer of " + big.bitLength() + " bits";
        }
        if (o instanceof Tuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < Math.min(5, t.items.length); i++) {
                Object item = t.items[i];
                sb.append(i == 0 ? "" : ", ").append(item instanceof Tuple || item instanceof java.util.Collection
                        || item instanceof Map ? typeName(item) : describe(item));
            }
            return sb.append(t.items.length > 5 ? ", ... " + t.items.length + " items)" : t.items.length == 1 ? ",)" : ")")
                    .toString();
        }
        if (o instanceof java.util.Collection<?> c) {
            return "a " + typeName(o) + " of " + c.size() + " items";
        }
        if (o instanceof Map<?, ?> m) {
            return "a dict of " + m.size() + " items";
        }
        if (o instanceof byte[] bytes) {
            return "bytes of length " + bytes.length;
        }
        return "a " + typeName(o);
    }

    private static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Set) {
            return "set";
        }
        if (o instanceof StoredTensor) {
            return "tensor";
        }
        if (o instanceof Global) {
            return "global " + o;
        }
        return o.getClass().getSimpleName();
    }

    private void push(Object o) throws WeightsFormatException {
        if (stack.size() >= MAX_STACK) {
            throw fail(pos, "pickle stack deeper than " + MAX_STACK + " objects");
        }
        stack.add(o);
    }

    private void memoPut(int at, long index) throws WeightsFormatException {
        Object top = top(at);
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw fail(at, "more than " + MAX_MEMO + " memo entries");
        }
        memo.put(index, top);
    }

    private Object pop(int at) throws WeightsFormatException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw fail(at, "stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object top(int at) throws WeightsFormatException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw fail(at, "stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    /** Pops everything above the last MARK, and the mark. */
    private List<Object> popMark(int at) throws WeightsFormatException {
        if (marks.isEmpty()) {
            throw fail(at, "no MARK on the stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> tail = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return tail;
    }

    private Object memoGet(int at, long i) throws WeightsFormatException {
        if (!memo.containsKey(i)) {
            throw fail(at, "memo entry " + i + " was never stored");
        }
        return memo.get(i);
    }

    private void need(long n) throws WeightsFormatException {
        if (n < 0 || n > b.length - pos) {
            throw fail(pos, "truncated: needs " + n + " more bytes, " + (b.length - pos) + " left");
        }
    }

    private int u8() throws WeightsFormatException {
        need(1);
        return b[pos++] & 0xff;
    }

    private ByteBuffer le(int n) throws WeightsFormatException {
        need(n);
        ByteBuffer bb = ByteBuffer.wrap(b, pos, n).order(ByteOrder.LITTLE_ENDIAN);
        pos += n;
        return bb;
    }

    private long u32() throws WeightsFormatException {
        return le(4).getInt() & 0xffff_ffffL;
    }

    private long u64(int at) throws WeightsFormatException {
        long v = le(8).getLong();
        if (v < 0) {
            throw fail(at, "length " + Long.toUnsignedString(v) + " is larger than the pickle");
        }
        return v;
    }

    private Object long1(int at) throws WeightsFormatException {
        int n = u8();
        need(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];                 // LONG1 is little-endian two's complement; BigInteger wants big-endian
        for (int i = 0; i < n; i++) {
            be[i] = b[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(int at, long n) throws WeightsFormatException {
        need(n);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, pos, (int) n)).toString();
            pos += (int) n;
            return s;
        } catch (CharacterCodingException e) {
            throw fail(at, "string is not valid UTF-8");
        }
    }

    private byte[] bytes(long n) throws WeightsFormatException {
        need(n);
        byte[] out = Arrays.copyOfRange(b, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    /** A GLOBAL operand: ASCII up to a newline. */
    private String line() throws WeightsFormatException {
        int start = pos;
        while (pos < b.length && b[pos] != '\n') {
            pos++;
        }
        if (pos >= b.length) {
            throw fail(start, "truncated: GLOBAL name without its newline");
        }
        String s = new String(b, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private WeightsFormatException fail(int at, String reason) {
        return new WeightsFormatException(file, entry + " at byte " + at + ": " + reason);
    }
}
