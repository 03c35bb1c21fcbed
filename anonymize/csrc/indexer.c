/* transformers.keyed.KeyedIndex's key -> index in [0, size): an integer key below `size` (a row id) through the
 * keyed permutation, any other key hashed (keyed digest, 16 bytes big-endian, mod size). The same arithmetic as
 * the Python closure it replaces, calling the same permutation and digest objects. */
#include "speedups.h"

#include <stddef.h>

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *digest;  /* str -> bytes (>= 16) */
    PyObject *permute; /* int -> int */
    unsigned long long size;
    /* The last key and its index: the columns keyed alike (a name and its reading, an address's parts) ask for
     * the same row's key one after the other. */
    PyObject *last_key, *last_index;
} Indexer;

static PyObject *index_of(Indexer *indexer, PyObject *key);

static PyObject *
indexer_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Indexer *indexer = (Indexer *)self;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "an index takes one str key");
        return NULL;
    }
    PyObject *key = args[0];
    if (indexer->last_key != NULL) {
        int same = PyUnicode_Compare(key, indexer->last_key);
        if (same == 0)
            return Py_NewRef(indexer->last_index);
        if (same == -1 && PyErr_Occurred())
            return NULL;
    }
    PyObject *index = index_of(indexer, key);
    if (index != NULL) {
        Py_XSETREF(indexer->last_key, Py_NewRef(key));
        Py_XSETREF(indexer->last_index, Py_NewRef(index));
    }
    return index;
}

static PyObject *
index_of(Indexer *indexer, PyObject *key)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(key);
    /* `key.isdigit() and key.isascii() and len(key) <= 19`: at most 19 ASCII digits fit in 64 bits */
    if (PyUnicode_IS_ASCII(key) && length >= 1 && length <= 19) {
        const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(key);
        unsigned long long number = 0;
        Py_ssize_t i = 0;
        for (; i < length && chars[i] >= '0' && chars[i] <= '9'; i++)
            number = number * 10 + (chars[i] - '0');
        if (i == length && number < indexer->size) {
            PyObject *boxed = PyLong_FromUnsignedLongLong(number);
            if (boxed == NULL)
                return NULL;
            PyObject *result = PyObject_CallOneArg(indexer->permute, boxed);
            Py_DECREF(boxed);
            return result;
        }
    }
    PyObject *digest = PyObject_CallOneArg(indexer->digest, key);
    if (digest == NULL)
        return NULL;
    if (!PyBytes_Check(digest) || PyBytes_GET_SIZE(digest) < 16) {
        Py_DECREF(digest);
        PyErr_SetString(PyExc_TypeError, "the digest must return at least 16 bytes");
        return NULL;
    }
    const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(digest);
    unsigned __int128 value = 0;
    for (int i = 0; i < 16; i++)
        value = (value << 8) | bytes[i];
    Py_DECREF(digest);
    return PyLong_FromUnsignedLongLong((unsigned long long)(value % indexer->size));
}

static void
indexer_dealloc(Indexer *indexer)
{
    Py_XDECREF(indexer->digest);
    Py_XDECREF(indexer->permute);
    Py_XDECREF(indexer->last_key);
    Py_XDECREF(indexer->last_index);
    Py_TYPE(indexer)->tp_free((PyObject *)indexer);
}

static PyObject *
indexer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *digest, *permute;
    unsigned long long size;
    static char *names[] = {"digest", "permute", "size", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOK", names, &digest, &permute, &size))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(permute) || size < 1) {
        PyErr_SetString(PyExc_ValueError, "Indexer: a digest and a permutation (callables) and a size >= 1");
        return NULL;
    }
    Indexer *indexer = (Indexer *)type->tp_alloc(type, 0);
    if (indexer == NULL)
        return NULL;
    indexer->vectorcall = indexer_call;
    Py_INCREF(digest);
    indexer->digest = digest;
    Py_INCREF(permute);
    indexer->permute = permute;
    indexer->size = size;
    return (PyObject *)indexer;
}

PyTypeObject IndexerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.Indexer",
    .tp_basicsize = sizeof(Indexer),
    .tp_dealloc = (destructor)indexer_dealloc,
    .tp_vectorcall_offset = offsetof(Indexer, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Indexer(digest, permute, size): key -> keyed.KeyedIndex's index in [0, size).",
    .tp_new = indexer_new,
};
