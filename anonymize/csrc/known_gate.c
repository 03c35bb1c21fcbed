/* pii.known_gate's check (anonymize/pii/known_gate.py is the reference: `may_hold`): could the known values'
 * automaton find a spelling KnownValues keeps in this text? Each spelling's prefix (2 to 4 characters, FNV-1a over
 * code points) has its bit in one of three bitmaps; a text position is looked up in the bitmaps that could hold a
 * spelling starting there. */
#include "speedups.h"

#define KG_PREFIX 4
#define KG_FNV_OFFSET 2166136261u
#define KG_FNV_PRIME 16777619u

static int kg_word_char(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int kg_has(const unsigned char *table, uint32_t bit) { return (table[bit >> 3] >> (bit & 7)) & 1; }

int known_gate_may_hold(PyObject *text, PyObject *haystack, int lower_ascii, const unsigned char *ascii,
                        const unsigned char *other, const unsigned char *other_ascii_first, uint32_t mask) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int tkind = PyUnicode_KIND(text), hkind = PyUnicode_KIND(haystack);
    const void *tdata = PyUnicode_DATA(text), *hdata = PyUnicode_DATA(haystack);
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        int word_start = i == 0 || !kg_word_char(PyUnicode_READ(tkind, tdata, i - 1));
        Py_UCS4 first = PyUnicode_READ(hkind, hdata, i);
        if (lower_ascii && first >= 'A' && first <= 'Z')
            first += 'a' - 'A';
        const unsigned char *others = first < 128 ? other_ascii_first : other;
        uint32_t h = KG_FNV_OFFSET;
        Py_ssize_t end = i + KG_PREFIX < n ? i + KG_PREFIX : n;
        for (Py_ssize_t j = i; j < end; j++) {
            Py_UCS4 c = PyUnicode_READ(hkind, hdata, j);
            if (lower_ascii && c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            h = (h ^ (uint32_t)c) * KG_FNV_PRIME;
            if (j == i)
                continue; /* a prefix is 2 characters or more */
            uint32_t bit = (h ^ (h >> 16)) & mask;
            if ((word_start && kg_has(ascii, bit)) || kg_has(others, bit))
                return 1;
        }
    }
    return 0;
}

/* The bitmap's bit count, a power of two (0 when `table` is not one). */
static Py_ssize_t kg_bits(PyObject *table) {
    Py_ssize_t bytes = PyBytes_GET_SIZE(table);
    if (bytes <= 0 || (bytes & (bytes - 1)) != 0)
        return 0;
    return bytes * 8;
}

PyObject *py_known_gate(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1]) || !PyBytes_Check(args[2]) ||
        !PyBytes_Check(args[3]) || !PyBytes_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "known_gate(text: str, haystack: str, ascii: bytes, other: bytes, "
                                         "other_ascii_first: bytes)");
        return NULL;
    }
    PyObject *text = args[0], *haystack = args[1];
    Py_ssize_t bits = kg_bits(args[2]);
    if (bits == 0 || kg_bits(args[3]) != bits || kg_bits(args[4]) != bits) {
        PyErr_SetString(PyExc_ValueError, "known_gate: the bitmaps are one power-of-two size");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(haystack);
    if (PyUnicode_GET_LENGTH(text) != n) {
        PyErr_SetString(PyExc_ValueError, "known_gate: the haystack is the text, lowered to the same length");
        return NULL;
    }
    const unsigned char *ascii = (const unsigned char *)PyBytes_AS_STRING(args[2]);
    const unsigned char *other = (const unsigned char *)PyBytes_AS_STRING(args[3]);
    const unsigned char *other_ascii_first = (const unsigned char *)PyBytes_AS_STRING(args[4]);
    if (known_gate_may_hold(text, haystack, 0, ascii, other, other_ascii_first, (uint32_t)(bits - 1)))
        Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}
