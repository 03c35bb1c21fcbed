/* pii.gate's check of the recognizers' clues on one text (anonymize/pii/gate.py is the reference: `_mask`).
 *
 * clues: a tuple of (bit, literals, digits, seps, gap, right_bad, after, non_ascii, counts), one per Clue; the
 * answer is the OR of the bits whose clue holds (a bit already set skips its recipient's other clues).
 * PiiGate(clues) reads the tuples once into C structs (unpacking them was most of pii_gate's cost per text); its
 * call is pii_gate(text, clues). pii_gate itself reads them on every call, as before. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

typedef struct {
    unsigned long long bit;
    PyObject *literals;           /* tuple of str (borrowed from the clues tuple, which the gate holds) */
    PyObject *seps, *right_bad;   /* str, borrowed likewise */
    Py_ssize_t digits, gap;
    Py_UCS4 after;
    int has_after, non_ascii;
    Py_ssize_t ncounts;
    Py_UCS4 *count_chars;         /* owned (PyMem) */
    Py_ssize_t *count_least;      /* owned (PyMem) */
} GateClue;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *clues; /* the tuple read: keeps the borrowed strings alive, and is what __reduce__ gives back */
    Py_ssize_t nclues;
    GateClue *parsed; /* owned (PyMem) */
} PiiGate;

static int contains_char(PyObject *chars, Py_UCS4 c) {
    return PyUnicode_FindChar(chars, c, 0, PyUnicode_GET_LENGTH(chars), 1) >= 0;
}

/* The maximal runs of decimal digits of one text, found once for every clue that asks for a number (ten of the
 * detector's fifteen do: each scanned the whole text before). */
#define GATE_RUNS 32
typedef struct {
    Py_ssize_t count; /* -1: not looked for yet; GATE_RUNS + 1: more than it holds */
    Py_ssize_t start[GATE_RUNS], end[GATE_RUNS];
    /* The ASCII characters the text holds (bit c; bit 127 for "a character beyond ASCII"), found by the first clue
     * with literals (all zero before: an empty text finds no literal anyway); bit 127 is set by DEL too, so a
     * literal starting with DEL or beyond ASCII is looked for whenever it is set */
    uint64_t ascii_seen[2];
} DigitRuns;

/* The next run of decimal digits from *i on: 1 with its start in *start and *i at its end, or 0 when none is left. */
static int next_run(int kind, const void *data, Py_ssize_t n, Py_ssize_t *i, Py_ssize_t *start) {
    while (*i < n && !IS_DECIMAL(PyUnicode_READ(kind, data, *i)))
        (*i)++;
    if (*i >= n)
        return 0;
    *start = *i;
    while (*i < n && IS_DECIMAL(PyUnicode_READ(kind, data, *i)))
        (*i)++;
    return 1;
}

static void find_runs(int kind, const void *data, Py_ssize_t n, DigitRuns *runs) {
    runs->count = 0;
    Py_ssize_t i = 0, start;
    while (next_run(kind, data, n, &i, &start)) {
        if (runs->count == GATE_RUNS) {
            runs->count++; /* too many to hold: has_number scans the text instead */
            return;
        }
        runs->start[runs->count] = start;
        runs->end[runs->count] = i;
        runs->count++;
    }
}

/* One digit run [start, end), met in order: it continues the number (`acc` digits so far) when only characters of
 * `seps` lie between it and the run before (`previous_end`), within `gap`; 1 once a number of `least` digits ends
 * where no character of `right_bad` follows. */
static int take_run(int kind, const void *data, Py_ssize_t n, Py_ssize_t start, Py_ssize_t end, Py_ssize_t *acc,
                    Py_ssize_t *previous_end, Py_ssize_t least, PyObject *seps, Py_ssize_t gap, PyObject *right_bad,
                    int has_after, Py_UCS4 after_char) {
    int joined = 0;
    if (*previous_end >= 0 && start - *previous_end <= gap) {
        joined = 1;
        for (Py_ssize_t k = *previous_end; k < start; k++) {
            if (!contains_char(seps, PyUnicode_READ(kind, data, k))) {
                joined = 0;
                break;
            }
        }
    }
    if (!joined)
        *acc = -1;
    if (*acc < 0 && (!has_after || (start > 0 && PyUnicode_READ(kind, data, start - 1) == after_char)))
        *acc = 0;
    if (*acc >= 0) {
        *acc += end - start;
        if (*acc >= least && (end == n || !contains_char(right_bad, PyUnicode_READ(kind, data, end))))
            return 1;
    }
    *previous_end = end;
    return 0;
}

/* Clue.digits over the runs find_runs held: a number of at least `least` digits, digit runs joined by 1..gap
 * characters of `seps`, from a run right after `after` (when has_after) to a run not followed by a character of
 * `right_bad`. */
static int number_in_runs(int kind, const void *data, Py_ssize_t n, const DigitRuns *runs, Py_ssize_t least,
                          PyObject *seps, Py_ssize_t gap, PyObject *right_bad, int has_after, Py_UCS4 after_char) {
    Py_ssize_t acc = -1, previous_end = -1;
    for (Py_ssize_t r = 0; r < runs->count; r++) {
        Py_ssize_t start = runs->start[r], i = runs->end[r];
        if (take_run(kind, data, n, start, i, &acc, &previous_end, least, seps, gap, right_bad, has_after, after_char))
            return 1;
    }
    return 0;
}

/* Clue.digits on the whole text, from its runs (found by the first clue needing them); a text with more runs than
 * DigitRuns holds is scanned whole, as every clue did before. */
static int has_number(int kind, const void *data, Py_ssize_t n, DigitRuns *runs, Py_ssize_t least, PyObject *seps,
                      Py_ssize_t gap, PyObject *right_bad, int has_after, Py_UCS4 after_char) {
    if (runs->count < 0)
        find_runs(kind, data, n, runs);
    if (runs->count <= GATE_RUNS)
        return number_in_runs(kind, data, n, runs, least, seps, gap, right_bad, has_after, after_char);
    /* many runs (rare: a long list of numbers): the scan as it was before runs were held */
    Py_ssize_t i = 0, start, acc = -1, previous_end = -1;
    while (next_run(kind, data, n, &i, &start)) {
        if (take_run(kind, data, n, start, i, &acc, &previous_end, least, seps, gap, right_bad, has_after, after_char))
            return 1;
    }
    return 0;
}

static Py_ssize_t count_char(int kind, const void *data, Py_ssize_t n, Py_UCS4 c) {
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        found += PyUnicode_READ(kind, data, i) == c;
    return found;
}

static void clue_free(GateClue *clue) {
    PyMem_Free(clue->count_chars);
    PyMem_Free(clue->count_least);
    clue->count_chars = NULL;
    clue->count_least = NULL;
}

/* Reads one clue tuple into `out` (its strings borrowed from the tuple); 0, or -1 with an exception set. */
static int clue_read(PyObject *tuple, GateClue *out) {
    memset(out, 0, sizeof *out);
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != 9) {
        PyErr_SetString(PyExc_TypeError, "pii_gate: a clue is a 9-tuple");
        return -1;
    }
    PyObject *literals = PyTuple_GET_ITEM(tuple, 1), *seps = PyTuple_GET_ITEM(tuple, 3);
    PyObject *right_bad = PyTuple_GET_ITEM(tuple, 5), *after = PyTuple_GET_ITEM(tuple, 6);
    PyObject *counts = PyTuple_GET_ITEM(tuple, 8);
    if (!PyTuple_Check(literals) || !PyUnicode_Check(seps) || !PyUnicode_Check(right_bad) || !PyUnicode_Check(after) ||
        !PyTuple_Check(counts)) {
        PyErr_SetString(PyExc_TypeError, "pii_gate: a malformed clue");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(literals); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(literals, i))) {
            PyErr_SetString(PyExc_TypeError, "pii_gate: a clue's literals are strings");
            return -1;
        }
    out->bit = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(tuple, 0));
    if (out->bit == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    out->literals = literals;
    out->seps = seps;
    out->right_bad = right_bad;
    out->has_after = PyUnicode_GET_LENGTH(after) > 0;
    out->after = out->has_after ? PyUnicode_READ_CHAR(after, 0) : 0;
    out->non_ascii = PyObject_IsTrue(PyTuple_GET_ITEM(tuple, 7));
    if (out->non_ascii < 0)
        return -1;
    out->digits = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, 2));
    out->gap = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, 4));
    if (PyErr_Occurred())
        return -1;
    Py_ssize_t ncounts = PyTuple_GET_SIZE(counts);
    if (ncounts) {
        out->count_chars = PyMem_New(Py_UCS4, ncounts);
        out->count_least = PyMem_New(Py_ssize_t, ncounts);
        if (out->count_chars == NULL || out->count_least == NULL) {
            clue_free(out);
            PyErr_NoMemory();
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < ncounts; i++) {
        PyObject *pair = PyTuple_GET_ITEM(counts, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0)) ||
            PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(pair, 0)) != 1) {
            clue_free(out);
            PyErr_SetString(PyExc_TypeError, "pii_gate: a count is (one character, least)");
            return -1;
        }
        Py_ssize_t least = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (least == -1 && PyErr_Occurred()) {
            clue_free(out);
            return -1;
        }
        out->count_chars[i] = PyUnicode_READ_CHAR(PyTuple_GET_ITEM(pair, 0), 0);
        out->count_least[i] = least;
    }
    out->ncounts = ncounts;
    return 0;
}

/* 1 when the clue holds, 0 when not, -1 on error; `runs`: the text's digit runs, found by the first clue needing
 * them (count -1 before). */
static int clue_holds(PyObject *text, const GateClue *clue, DigitRuns *runs) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (clue->non_ascii && PyUnicode_IS_ASCII(text))
        return 0;
    Py_ssize_t nliterals = PyTuple_GET_SIZE(clue->literals);
    if (nliterals) {
        if (runs->ascii_seen[0] == 0 && runs->ascii_seen[1] == 0) /* the text's ASCII characters, once */
            for (Py_ssize_t i = 0; i < n; i++) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                if (c < 128)
                    runs->ascii_seen[c >> 6] |= 1ull << (c & 63);
                else
                    runs->ascii_seen[1] |= 1ull << 63;
            }
        int any = 0;
        for (Py_ssize_t i = 0; i < nliterals && !any; i++) {
            PyObject *literal = PyTuple_GET_ITEM(clue->literals, i);
            if (PyUnicode_GET_LENGTH(literal) == 0) {
                any = 1;
                break;
            }
            Py_UCS4 first = PyUnicode_READ_CHAR(literal, 0);
            if (first < 127 ? !(runs->ascii_seen[first >> 6] >> (first & 63) & 1) : !(runs->ascii_seen[1] >> 63))
                continue; /* its first character is not in the text: no need to look for it */
            Py_ssize_t at = PyUnicode_Find(text, literal, 0, n, 1);
            if (at == -2)
                return -1;
            any = at >= 0;
        }
        if (!any)
            return 0;
    }
    for (Py_ssize_t i = 0; i < clue->ncounts; i++)
        if (count_char(kind, data, n, clue->count_chars[i]) < clue->count_least[i])
            return 0;
    if (clue->digits <= 0)
        return 1;
    return has_number(kind, data, n, runs, clue->digits, clue->seps, clue->gap, clue->right_bad, clue->has_after,
                      clue->after);
}

/* The mask of `nclues` read clues on `text`: a Python int, or NULL with an exception set. */
static PyObject *gate_mask(PyObject *text, const GateClue *clues, Py_ssize_t nclues) {
    unsigned long long mask = 0;
    DigitRuns runs;
    runs.count = -1;
    runs.ascii_seen[0] = runs.ascii_seen[1] = 0;
    for (Py_ssize_t i = 0; i < nclues; i++) {
        if (mask & clues[i].bit)
            continue; /* this recognizer may already find something */
        int holds = clue_holds(text, &clues[i], &runs);
        if (holds < 0)
            return NULL;
        if (holds)
            mask |= clues[i].bit;
    }
    return PyLong_FromUnsignedLongLong(mask);
}

PyObject *py_pii_gate(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "pii_gate(text: str, clues: tuple)");
        return NULL;
    }
    PyObject *text = args[0], *clues = args[1];
    unsigned long long mask = 0;
    DigitRuns runs;
    runs.count = -1;
    runs.ascii_seen[0] = runs.ascii_seen[1] = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(clues); i++) {
        GateClue clue;
        if (clue_read(PyTuple_GET_ITEM(clues, i), &clue) < 0)
            return NULL;
        int holds = mask & clue.bit ? 0 : clue_holds(text, &clue, &runs);
        clue_free(&clue);
        if (holds < 0)
            return NULL;
        if (holds)
            mask |= clue.bit;
    }
    return PyLong_FromUnsignedLongLong(mask);
}

/* -- PiiGate: the clues read once ------------------------------------------------------------------------------- */

static PyObject *piigate_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "PiiGate(text: str) -> int");
        return NULL;
    }
    PiiGate *gate = (PiiGate *)self;
    return gate_mask(args[0], gate->parsed, gate->nclues);
}

static void piigate_dealloc(PyObject *self) {
    PiiGate *gate = (PiiGate *)self;
    if (gate->parsed != NULL)
        for (Py_ssize_t i = 0; i < gate->nclues; i++)
            clue_free(&gate->parsed[i]);
    PyMem_Free(gate->parsed);
    Py_XDECREF(gate->clues);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *piigate_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *clues;
    static char *names[] = {"clues", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!", names, &PyTuple_Type, &clues))
        return NULL;
    Py_ssize_t nclues = PyTuple_GET_SIZE(clues);
    GateClue *parsed = PyMem_New(GateClue, nclues ? nclues : 1);
    if (parsed == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < nclues; i++)
        if (clue_read(PyTuple_GET_ITEM(clues, i), &parsed[i]) < 0) {
            for (Py_ssize_t k = 0; k < i; k++)
                clue_free(&parsed[k]);
            PyMem_Free(parsed);
            return NULL;
        }
    PiiGate *gate = (PiiGate *)type->tp_alloc(type, 0);
    if (gate == NULL) {
        for (Py_ssize_t k = 0; k < nclues; k++)
            clue_free(&parsed[k]);
        PyMem_Free(parsed);
        return NULL;
    }
    gate->vectorcall = piigate_call;
    gate->clues = Py_NewRef(clues);
    gate->nclues = nclues;
    gate->parsed = parsed;
    return (PyObject *)gate;
}

/* Pickled as the clues it was made from (a detector holding its gate travels to worker processes). */
static PyObject *piigate_reduce(PyObject *self, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("(O(O))", (PyObject *)Py_TYPE(self), ((PiiGate *)self)->clues);
}

static PyMethodDef piigate_methods[] = {
    {"__reduce__", piigate_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PiiGateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.PiiGate",
    .tp_basicsize = sizeof(PiiGate),
    .tp_dealloc = piigate_dealloc,
    .tp_vectorcall_offset = offsetof(PiiGate, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "PiiGate(clues): text -> pii_gate(text, clues), the clues read once (pii_gate.c)",
    .tp_methods = piigate_methods,
    .tp_new = piigate_new,
};
