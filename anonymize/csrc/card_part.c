/* CardPart.transform's memo hit in C (transformers/card.py): a payload table repeats its cards' parts, and inside
 * JSON (json_walk.c's fast_leaf) each leaf of a card_part path was a call into Python that mostly read two dicts.
 * The same dicts as the transformer's own, read as `transform` reads them:
 *   last4, bin:                 memo[value]
 *   exp_month, exp_year, expiry: memo[(value, shifts[row.get(key_column)])]  (key None without a key_column)
 * A miss anywhere (or a row that is not a dict: the row loop's Row, read by Python's `get`) calls `transform`, which
 * fills the memos as before; a hit returns the very object `transform` would. */
#include "speedups.h"

#include <stddef.h>

typedef struct {
    FakeHead head;        /* vectorcall, fallback (CardPart.transform) */
    PyObject *memo;       /* CardPart._memo */
    PyObject *shifts;     /* CardPart._shifts, or NULL for the parts memoized by value alone */
    PyObject *key_column; /* params.key_column, or None */
} CardPartMemo;

static PyObject *
card_part_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    CardPartMemo *part = (CardPartMemo *)self;
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    PyObject *value = args[0], *row = args[1], *found;
    if (part->shifts == NULL) {
        found = PyDict_GetItemWithError(part->memo, value);
        if (found != NULL)
            return Py_NewRef(found);
        return PyErr_Occurred() ? NULL : fake_fallback(&part->head, args);
    }
    PyObject *key = Py_None;
    if (part->key_column != Py_None) {
        if (!PyDict_CheckExact(row))
            return fake_fallback(&part->head, args);
        key = PyDict_GetItemWithError(row, part->key_column);
        if (key == NULL) {
            if (PyErr_Occurred())
                return NULL;
            key = Py_None;
        }
    }
    PyObject *shift = PyDict_GetItemWithError(part->shifts, key);
    if (shift == NULL)
        return PyErr_Occurred() ? NULL : fake_fallback(&part->head, args);
    PyObject *memo_key = PyTuple_Pack(2, value, shift);
    if (memo_key == NULL)
        return NULL;
    found = PyDict_GetItemWithError(part->memo, memo_key);
    Py_DECREF(memo_key);
    if (found != NULL)
        return Py_NewRef(found);
    return PyErr_Occurred() ? NULL : fake_fallback(&part->head, args);
}

static void
card_part_dealloc(CardPartMemo *part)
{
    fake_clear(&part->head);
    Py_XDECREF(part->memo);
    Py_XDECREF(part->shifts);
    Py_XDECREF(part->key_column);
    Py_TYPE(part)->tp_free((PyObject *)part);
}

static PyObject *
card_part_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *memo, *shifts, *key_column, *fallback;
    static char *names[] = {"memo", "shifts", "key_column", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO", names, &memo, &shifts, &key_column, &fallback))
        return NULL;
    if (!PyDict_CheckExact(memo) || (shifts != Py_None && !PyDict_CheckExact(shifts)) ||
        (key_column != Py_None && !PyUnicode_Check(key_column)) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "CardPartMemo(memo: dict, shifts: dict | None, key_column: str | None, "
                                         "fallback)");
        return NULL;
    }
    CardPartMemo *part = (CardPartMemo *)type->tp_alloc(type, 0);
    if (part == NULL)
        return NULL;
    part->head.vectorcall = card_part_call;
    part->head.fallback = Py_NewRef(fallback);
    part->head.max_length = -1;
    part->memo = Py_NewRef(memo);
    part->shifts = shifts == Py_None ? NULL : Py_NewRef(shifts);
    part->key_column = Py_NewRef(key_column);
    return (PyObject *)part;
}

PyTypeObject CardPartMemoType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.CardPartMemo",
    .tp_basicsize = sizeof(CardPartMemo),
    .tp_dealloc = (destructor)card_part_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "CardPartMemo(memo, shifts, key_column, fallback): CardPart.transform's memo hit (shifts None: the "
              "parts memoized by value); a miss -> fallback.",
    .tp_new = card_part_new,
};
