/* permutation.Permutation's tabled 8-round Feistel network (apply_tables) as a callable object: the keyed
 * permutation behind phone, card, IPv4, name-pool and address fakes. Same arithmetic on the same tables, so the same
 * fakes (tests/anonymize/test_speedups.py); inputs outside [0, p*q) go to the Python closure it replaces. */
#include "speedups.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ROUNDS 8

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int64_t p, q, size;
    int64_t *tables[ROUNDS];
    PyObject *fallback;
} Feistel;

static PyObject *
feistel_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Feistel *f = (Feistel *)self;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a permutation takes one integer");
        return NULL;
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(args[0], &overflow);
    if (x == -1 && PyErr_Occurred())
        return NULL;
    if (overflow || x < 0 || x >= f->p * f->q)
        return PyObject_CallOneArg(f->fallback, args[0]);
    const int64_t p = f->p, q = f->q;
    int64_t *const *t = f->tables;
    for (;;) {
        int64_t a = x / q, b = x % q;
        a = (a + t[0][b]) % p;
        b = (b + t[1][a]) % q;
        a = (a + t[2][b]) % p;
        b = (b + t[3][a]) % q;
        a = (a + t[4][b]) % p;
        b = (b + t[5][a]) % q;
        a = (a + t[6][b]) % p;
        b = (b + t[7][a]) % q;
        x = a * q + b;
        if (x < f->size) /* cycle walking: re-apply until back inside [0, size) */
            return PyLong_FromLongLong(x);
    }
}

static void
feistel_dealloc(Feistel *f)
{
    for (int i = 0; i < ROUNDS; i++)
        PyMem_Free(f->tables[i]);
    Py_XDECREF(f->fallback);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyObject *
feistel_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    long long p, q, size;
    PyObject *tables, *fallback;
    static char *names[] = {"p", "q", "size", "tables", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLLOO", names, &p, &q, &size, &tables, &fallback))
        return NULL;
    /* Tabled halves are at most 2^17 (permutation.TABLE_LIMIT): every product stays far inside int64. */
    if (p < 2 || q < 2 || p > (1 << 20) || q > (1 << 20) || size < 1 || size > p * q) {
        PyErr_SetString(PyExc_ValueError, "Feistel: p and q must be in [2, 2^20], size in [1, p*q]");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(tables, "Feistel: tables must be a sequence");
    if (fast == NULL)
        return NULL;
    if (PySequence_Fast_GET_SIZE(fast) != ROUNDS || !PyCallable_Check(fallback)) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "Feistel: 8 round tables and a callable fallback are needed");
        return NULL;
    }
    Feistel *f = (Feistel *)type->tp_alloc(type, 0);
    if (f == NULL) {
        Py_DECREF(fast);
        return NULL;
    }
    f->vectorcall = feistel_call;
    f->p = p;
    f->q = q;
    f->size = size;
    Py_INCREF(fallback);
    f->fallback = fallback;
    for (int i = 0; i < ROUNDS; i++) {
        /* Even rounds read a table indexed by b (q entries) and reduce mod p; odd rounds the other way. */
        int64_t entries = i % 2 == 0 ? q : p, radix = i % 2 == 0 ? p : q;
        Py_buffer view;
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(fast, i), &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            goto fail;
        int ok = view.itemsize == 8 && view.format != NULL && (view.format[0] == 'q' || view.format[0] == 'l') &&
                 view.len / 8 == entries;
        if (ok) {
            f->tables[i] = PyMem_Malloc(entries * sizeof(int64_t));
            if (f->tables[i] == NULL) {
                PyBuffer_Release(&view);
                PyErr_NoMemory();
                goto fail;
            }
            memcpy(f->tables[i], view.buf, entries * sizeof(int64_t));
            for (int64_t k = 0; k < entries && ok; k++)
                ok = f->tables[i][k] >= 0 && f->tables[i][k] < radix;
        }
        PyBuffer_Release(&view);
        if (!ok) {
            PyErr_Format(PyExc_ValueError, "Feistel: round %d's table must hold %lld int64 values in [0, %lld)", i,
                         (long long)entries, (long long)radix);
            goto fail;
        }
    }
    Py_DECREF(fast);
    return (PyObject *)f;
fail:
    Py_DECREF(fast);
    Py_DECREF(f);
    return NULL;
}

PyTypeObject FeistelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.Feistel",
    .tp_basicsize = sizeof(Feistel),
    .tp_dealloc = (destructor)feistel_dealloc,
    .tp_vectorcall_offset = offsetof(Feistel, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Feistel(p, q, size, tables, fallback): x -> Permutation.apply(x) for the tabled 8-round network.",
    .tp_new = feistel_new,
};
