/* pii.gate's check of the recognizers' clues on one text (anonymize/pii/gate.py is the reference: `_mask`).
 *
 * clues: a tuple of (bit, literals, digits, seps, gap, right_bad, after, non_ascii, counts), one per Clue; the
 * answer is the OR of the bits whose clue holds (a bit already set skips its recipient's other clues). */
#include "speedups.h"

static int contains_char(PyObject *chars, Py_UCS4 c) {
    return PyUnicode_FindChar(chars, c, 0, PyUnicode_GET_LENGTH(chars), 1) >= 0;
}

/* Clue.digits: a number of at least `least` digits, digit runs joined by 1..gap characters of `seps`, from a run
 * right after `after` (when not empty) to a run not followed by a character of `right_bad`. */
static int has_number(int kind, const void *data, Py_ssize_t n, Py_ssize_t least, PyObject *seps, Py_ssize_t gap,
                      PyObject *right_bad, PyObject *after) {
    Py_ssize_t i = 0, acc = -1, previous_end = -1;
    Py_UCS4 after_char = PyUnicode_GET_LENGTH(after) ? PyUnicode_READ_CHAR(after, 0) : 0;
    int has_after = PyUnicode_GET_LENGTH(after) > 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!IS_DECIMAL(c)) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < n && IS_DECIMAL(PyUnicode_READ(kind, data, i)))
            i++;
        int joined = 0;
        if (previous_end >= 0 && start - previous_end <= gap) {
            joined = 1;
            for (Py_ssize_t k = previous_end; k < start; k++) {
                if (!contains_char(seps, PyUnicode_READ(kind, data, k))) {
                    joined = 0;
                    break;
                }
            }
        }
        if (!joined)
            acc = -1;
        if (acc < 0 && (!has_after || (start > 0 && PyUnicode_READ(kind, data, start - 1) == after_char)))
            acc = 0;
        if (acc >= 0) {
            acc += i - start;
            if (acc >= least && (i == n || !contains_char(right_bad, PyUnicode_READ(kind, data, i))))
                return 1;
        }
        previous_end = i;
    }
    return 0;
}

static Py_ssize_t count_char(int kind, const void *data, Py_ssize_t n, Py_UCS4 c) {
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        found += PyUnicode_READ(kind, data, i) == c;
    return found;
}

/* 1 when the clue holds, 0 when not, -1 on error. */
static int clue_holds(PyObject *text, PyObject *clue) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *literals = PyTuple_GET_ITEM(clue, 1), *seps = PyTuple_GET_ITEM(clue, 3);
    PyObject *right_bad = PyTuple_GET_ITEM(clue, 5), *after = PyTuple_GET_ITEM(clue, 6);
    PyObject *counts = PyTuple_GET_ITEM(clue, 8);
    if (!PyTuple_Check(literals) || !PyUnicode_Check(seps) || !PyUnicode_Check(right_bad) || !PyUnicode_Check(after) ||
        !PyTuple_Check(counts)) {
        PyErr_SetString(PyExc_TypeError, "pii_gate: a malformed clue");
        return -1;
    }
    int non_ascii = PyObject_IsTrue(PyTuple_GET_ITEM(clue, 7));
    if (non_ascii < 0)
        return -1;
    if (non_ascii && PyUnicode_IS_ASCII(text))
        return 0;
    Py_ssize_t nliterals = PyTuple_GET_SIZE(literals);
    if (nliterals) {
        int any = 0;
        for (Py_ssize_t i = 0; i < nliterals && !any; i++) {
            Py_ssize_t at = PyUnicode_Find(text, PyTuple_GET_ITEM(literals, i), 0, n, 1);
            if (at == -2)
                return -1;
            any = at >= 0;
        }
        if (!any)
            return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(counts); i++) {
        PyObject *pair = PyTuple_GET_ITEM(counts, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(pair, 0)) ||
            PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(pair, 0)) != 1) {
            PyErr_SetString(PyExc_TypeError, "pii_gate: a count is (one character, least)");
            return -1;
        }
        Py_ssize_t least = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if (least == -1 && PyErr_Occurred())
            return -1;
        if (count_char(kind, data, n, PyUnicode_READ_CHAR(PyTuple_GET_ITEM(pair, 0), 0)) < least)
            return 0;
    }
    Py_ssize_t digits = PyLong_AsSsize_t(PyTuple_GET_ITEM(clue, 2));
    Py_ssize_t gap = PyLong_AsSsize_t(PyTuple_GET_ITEM(clue, 4));
    if (PyErr_Occurred())
        return -1;
    if (digits <= 0)
        return 1;
    return has_number(kind, data, n, digits, seps, gap, right_bad, after);
}

PyObject *py_pii_gate(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "pii_gate(text: str, clues: tuple)");
        return NULL;
    }
    PyObject *text = args[0], *clues = args[1];
    unsigned long long mask = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(clues); i++) {
        PyObject *clue = PyTuple_GET_ITEM(clues, i);
        if (!PyTuple_Check(clue) || PyTuple_GET_SIZE(clue) != 9) {
            PyErr_SetString(PyExc_TypeError, "pii_gate: a clue is a 9-tuple");
            return NULL;
        }
        unsigned long long bit = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(clue, 0));
        if (bit == (unsigned long long)-1 && PyErr_Occurred())
            return NULL;
        if (mask & bit)
            continue; /* this recognizer may already find something */
        int holds = clue_holds(text, clue);
        if (holds < 0)
            return NULL;
        if (holds)
            mask |= bit;
    }
    return PyLong_FromUnsignedLongLong(mask);
}
