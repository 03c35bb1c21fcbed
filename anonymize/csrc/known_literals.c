/* KnownLiterals: KnownValues' literal spellings found in a text without the Aho-Corasick automaton's per-match
 * Python loop (anonymize/pii/known.py: `_find_literals_reference` is the reference, the automaton plus its word
 * check). Every spelling, and every prefix of one, has its hash (FNV-1a over code points, 64 bits, mixed) in a
 * bitmap; a scan from a text position extends while its prefix's bit is set (a hashed trie: most positions stop
 * after a character or two) and looks a whole spelling up in an open-addressing table where the spellings' own bit
 * is set, comparing characters. A match is kept as the Python loop keeps it: an ASCII spelling touches no ASCII
 * letter or digit of the text on either side. Matches come back as (start, end, index into the spellings) in the
 * automaton's order: by end, the longest first. Given known_gate's bitmaps, a text they rule out is not scanned
 * (their check costs a third of the scan, and passes one text in three of a strangers run). */
#include "speedups.h"

#define KL_FNV_OFFSET 14695981039346656037ull
#define KL_FNV_PRIME 1099511628211ull
/* Bits of the prefix bitmap: a strangers run's 169k spellings have 1.3M distinct prefixes (~27% of the bits set;
 * 1 << 24 measured no faster). */
#define KL_PREFIX_BITS (1u << 22)
#define KL_FULL_BITS (1u << 20)
#define KL_FIRST_BITS (1u << 16) /* the first characters (low 16 bits) of the spellings beyond ASCII */

typedef struct {
    uint32_t check; /* the mixed hash's low bits, compared before the characters */
    int32_t index;  /* into spellings; -1: empty */
} KlSlot;

typedef struct {
    PyObject_HEAD
    PyObject *spellings; /* tuple of str */
    PyObject *gate;      /* None, or known_gate's (ascii, other, other_ascii_first) bitmaps: bytes of one size */
    uint32_t gate_mask;
    unsigned char *ascii; /* per spelling: 1 when all its characters are ASCII */
    uint64_t *prefix_bits, *full_bits, *first_bits;
    KlSlot *slots;
    size_t slot_mask;
    Py_ssize_t longest;
} KnownLiterals;

typedef struct {
    Py_ssize_t start, end, index;
} KlMatch;

static uint64_t kl_mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int kl_get(const uint64_t *bits, uint64_t bit) { return (bits[bit >> 6] >> (bit & 63)) & 1; }
static void kl_set(uint64_t *bits, uint64_t bit) { bits[bit >> 6] |= 1ull << (bit & 63); }
static uint64_t kl_prefix_bit(uint64_t x) { return x & (KL_PREFIX_BITS - 1); }
static uint64_t kl_full_bit(uint64_t x) { return (x >> 24) & (KL_FULL_BITS - 1); }

static int kl_word_char(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void kl_free_tables(KnownLiterals *self) {
    PyMem_Free(self->ascii);
    PyMem_Free(self->prefix_bits);
    PyMem_Free(self->full_bits);
    PyMem_Free(self->first_bits);
    PyMem_Free(self->slots);
    self->ascii = NULL;
    self->prefix_bits = self->full_bits = self->first_bits = NULL;
    self->slots = NULL;
}

static void kl_dealloc(PyObject *op) {
    KnownLiterals *self = (KnownLiterals *)op;
    kl_free_tables(self);
    Py_XDECREF(self->spellings);
    Py_XDECREF(self->gate);
    Py_TYPE(op)->tp_free(op);
}

static Py_UCS4 kl_lowered(Py_UCS4 c, int lower) { return lower && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

/* Is haystack[start:start+len(spelling)] the spelling? (lower: the haystack's A-Z read as a-z) */
static int kl_equal(PyObject *spelling, int hkind, const void *hdata, Py_ssize_t start, int lower) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(spelling);
    int skind = PyUnicode_KIND(spelling);
    const void *sdata = PyUnicode_DATA(spelling);
    for (Py_ssize_t k = 0; k < length; k++)
        if (PyUnicode_READ(skind, sdata, k) != kl_lowered(PyUnicode_READ(hkind, hdata, start + k), lower))
            return 0;
    return 1;
}

static int kl_build(KnownLiterals *self) {
    Py_ssize_t count = PyTuple_GET_SIZE(self->spellings);
    size_t slots = 16;
    while (slots < (size_t)count * 2)
        slots <<= 1;
    self->ascii = PyMem_Calloc(count ? (size_t)count : 1, 1);
    self->prefix_bits = PyMem_Calloc(KL_PREFIX_BITS / 64, sizeof(uint64_t));
    self->full_bits = PyMem_Calloc(KL_FULL_BITS / 64, sizeof(uint64_t));
    self->first_bits = PyMem_Calloc(KL_FIRST_BITS / 64, sizeof(uint64_t));
    self->slots = PyMem_Malloc(slots * sizeof(KlSlot));
    if (self->ascii == NULL || self->prefix_bits == NULL || self->full_bits == NULL || self->first_bits == NULL ||
        self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t s = 0; s < slots; s++)
        self->slots[s].index = -1;
    self->slot_mask = slots - 1;
    self->longest = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *spelling = PyTuple_GET_ITEM(self->spellings, i);
        if (!PyUnicode_Check(spelling) || PyUnicode_GET_LENGTH(spelling) == 0) {
            PyErr_SetString(PyExc_TypeError, "KnownLiterals(spellings): a tuple of non-empty str");
            return -1;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(spelling);
        int kind = PyUnicode_KIND(spelling);
        const void *data = PyUnicode_DATA(spelling);
        if (length > self->longest)
            self->longest = length;
        self->ascii[i] = PyUnicode_IS_ASCII(spelling) ? 1 : 0;
        if (!self->ascii[i])
            kl_set(self->first_bits, PyUnicode_READ(kind, data, 0) & (KL_FIRST_BITS - 1));
        uint64_t h = KL_FNV_OFFSET, x = 0;
        for (Py_ssize_t k = 0; k < length; k++) {
            h = (h ^ (uint64_t)PyUnicode_READ(kind, data, k)) * KL_FNV_PRIME;
            x = kl_mix(h);
            kl_set(self->prefix_bits, kl_prefix_bit(x));
        }
        kl_set(self->full_bits, kl_full_bit(x));
        size_t s = (size_t)(x >> 40) & self->slot_mask;
        while (self->slots[s].index >= 0)
            s = (s + 1) & self->slot_mask;
        self->slots[s].check = (uint32_t)x;
        self->slots[s].index = (int32_t)i;
    }
    return 0;
}

static PyObject *kl_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *spellings, *gate = Py_None;
    static char *names[] = {"spellings", "gate", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!|O", names, &PyTuple_Type, &spellings, &gate))
        return NULL;
    uint32_t gate_mask = 0;
    if (gate != Py_None) {
        Py_ssize_t size = 0;
        int ok = PyTuple_Check(gate) && PyTuple_GET_SIZE(gate) == 3;
        for (Py_ssize_t k = 0; ok && k < 3; k++) {
            PyObject *table = PyTuple_GET_ITEM(gate, k);
            ok = PyBytes_Check(table) && (k == 0 || PyBytes_GET_SIZE(table) == size);
            if (ok)
                size = PyBytes_GET_SIZE(table);
        }
        if (!ok || size <= 0 || (size & (size - 1)) != 0 || size > (1 << 28)) {
            PyErr_SetString(PyExc_ValueError, "KnownLiterals: gate is None or three bitmaps (bytes) of one "
                                              "power-of-two size");
            return NULL;
        }
        gate_mask = (uint32_t)(size * 8 - 1);
    }
    if (PyTuple_GET_SIZE(spellings) > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "KnownLiterals: at most 2**31 - 1 spellings");
        return NULL;
    }
    KnownLiterals *self = (KnownLiterals *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->spellings = Py_NewRef(spellings);
    self->gate = Py_NewRef(gate);
    self->gate_mask = gate_mask;
    if (kl_build(self) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int kl_compare(const void *a, const void *b) {
    const KlMatch *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    if (x->start != y->start) /* the same end: the longest (earliest start) first */
        return x->start < y->start ? -1 : 1;
    return 0;
}

/* find(text, haystack) -> [(start, end, index), ...]: haystack is the text lowered (same length), the text, or None
 * for an ASCII text (its A-Z read as a-z: what str.lower gives it). */
static PyObject *kl_find(PyObject *op, PyObject *const *args, Py_ssize_t nargs) {
    KnownLiterals *self = (KnownLiterals *)op;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !(PyUnicode_Check(args[1]) || args[1] == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "KnownLiterals.find(text: str, haystack: str | None)");
        return NULL;
    }
    PyObject *text = args[0];
    int lower = args[1] == Py_None;
    PyObject *haystack = lower ? text : args[1];
    Py_ssize_t n = PyUnicode_GET_LENGTH(haystack);
    if (PyUnicode_GET_LENGTH(text) != n || (lower && !PyUnicode_IS_ASCII(text))) {
        PyErr_SetString(PyExc_ValueError, "KnownLiterals.find: the haystack is the text lowered to the same length "
                                          "(None: an ASCII text)");
        return NULL;
    }
    if (self->gate != Py_None &&
        !known_gate_may_hold(text, haystack, lower, (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(self->gate, 0)),
                             (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(self->gate, 1)),
                             (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(self->gate, 2)),
                             self->gate_mask))
        return PyList_New(0);
    int tkind = PyUnicode_KIND(text), hkind = PyUnicode_KIND(haystack);
    const void *tdata = PyUnicode_DATA(text), *hdata = PyUnicode_DATA(haystack);
#define KL_HAY(k) kl_lowered(PyUnicode_READ(hkind, hdata, (k)), lower)
    KlMatch small[16], *matches = small;
    Py_ssize_t found = 0, room = 16;
    for (Py_ssize_t i = 0; i < n; i++) {
        int word_start = i == 0 || !kl_word_char(PyUnicode_READ(tkind, tdata, i - 1));
        Py_UCS4 first = KL_HAY(i);
        if (!word_start && !kl_get(self->first_bits, first & (KL_FIRST_BITS - 1)))
            continue; /* only a spelling beyond ASCII may be kept here, and none starts with this character */
        Py_ssize_t stop = i + self->longest < n ? i + self->longest : n;
        uint64_t h = KL_FNV_OFFSET;
        for (Py_ssize_t j = i; j < stop; j++) {
            h = (h ^ (uint64_t)KL_HAY(j)) * KL_FNV_PRIME;
            uint64_t x = kl_mix(h);
            if (!kl_get(self->prefix_bits, kl_prefix_bit(x)))
                break; /* no spelling starts with haystack[i:j+1] */
            if (!kl_get(self->full_bits, kl_full_bit(x)))
                continue;
            Py_ssize_t length = j + 1 - i;
            for (size_t s = (size_t)(x >> 40) & self->slot_mask; self->slots[s].index >= 0;
                 s = (s + 1) & self->slot_mask) {
                if (self->slots[s].check != (uint32_t)x)
                    continue;
                Py_ssize_t index = self->slots[s].index;
                PyObject *spelling = PyTuple_GET_ITEM(self->spellings, index);
                if (PyUnicode_GET_LENGTH(spelling) != length || !kl_equal(spelling, hkind, hdata, i, lower))
                    continue;
                if (self->ascii[index] &&
                    (!word_start || (j + 1 < n && kl_word_char(PyUnicode_READ(tkind, tdata, j + 1)))))
                    break; /* "Ken" inside "Kenji", an email inside a longer one */
                if (found == room) {
                    Py_ssize_t bigger = room * 2;
                    KlMatch *grown = matches == small ? PyMem_New(KlMatch, bigger)
                                                      : PyMem_Resize(matches, KlMatch, bigger);
                    if (grown == NULL) {
                        if (matches != small)
                            PyMem_Free(matches);
                        return PyErr_NoMemory();
                    }
                    if (matches == small)
                        memcpy(grown, small, sizeof small);
                    matches = grown;
                    room = bigger;
                }
                matches[found].start = i;
                matches[found].end = j + 1;
                matches[found].index = index;
                found++;
                break; /* spellings are distinct: one at most of this extent */
            }
        }
    }
    if (found > 1)
        qsort(matches, (size_t)found, sizeof(KlMatch), kl_compare);
    PyObject *out = PyList_New(found);
    for (Py_ssize_t m = 0; out != NULL && m < found; m++) {
        PyObject *item = Py_BuildValue("(nnn)", matches[m].start, matches[m].end, matches[m].index);
        if (item == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, m, item);
    }
    if (matches != small)
        PyMem_Free(matches);
    return out;
#undef KL_HAY
}

/* Pickled as what it was made from. */
static PyObject *kl_reduce(PyObject *op, PyObject *Py_UNUSED(ignored)) {
    KnownLiterals *self = (KnownLiterals *)op;
    return Py_BuildValue("(O(OO))", (PyObject *)Py_TYPE(op), self->spellings, self->gate);
}

static PyMethodDef kl_methods[] = {
    {"find", (PyCFunction)(void (*)(void))kl_find, METH_FASTCALL,
     "find(text, haystack) -> [(start, end, index), ...]: the kept matches, by end, the longest first; haystack: "
     "the text lowered to the same length, or the text, or None for an ASCII text"},
    {"__reduce__", kl_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject KnownLiteralsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.KnownLiterals",
    .tp_basicsize = sizeof(KnownLiterals),
    .tp_dealloc = kl_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "KnownLiterals(spellings, gate=None): .find(text, haystack) -> KnownValues' kept literal matches "
              "(known_literals.c)",
    .tp_methods = kl_methods,
    .tp_new = kl_new,
};
