/* transformers.card.CardPan's default fake (no kept BIN or last 4) of a PAN stored as 12-19 bare ASCII digits: a
 * test BIN, the account digits offset by the source BIN and permuted, a Luhn check digit. What depends only on the
 * source BIN and the length (test BIN, offset, permutation) comes from CardPan.default_parts, once per pair; every
 * other value goes to the Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

#define MAX_DIGITS 19
#define PARTS_REMEMBERED 4096

typedef struct {
    FakeHead head;
    PyObject *parts; /* (source_bin: str, length: int) -> (prefix: str, offset: int, apply) or None */
    PyObject *known; /* length * 10^6 + source BIN -> parts */
} CardFake;

static PyObject *
parts_of(CardFake *fake, PyObject *value, long long source_bin, Py_ssize_t length)
{
    PyObject *key = PyLong_FromLongLong(length * 1000000LL + source_bin);
    if (key == NULL)
        return NULL;
    PyObject *parts = PyDict_GetItemWithError(fake->known, key);
    if (parts != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return Py_XNewRef(parts);
    }
    PyObject *bin = PyUnicode_Substring(value, 0, 6), *size = PyLong_FromSsize_t(length);
    parts = bin != NULL && size != NULL ? PyObject_CallFunctionObjArgs(fake->parts, bin, size, NULL) : NULL;
    Py_XDECREF(bin);
    Py_XDECREF(size);
    if (parts != NULL && parts != Py_None &&
        (!PyTuple_Check(parts) || PyTuple_GET_SIZE(parts) != 3 || !PyUnicode_Check(PyTuple_GET_ITEM(parts, 0)) ||
         !PyUnicode_IS_ASCII(PyTuple_GET_ITEM(parts, 0)) || !PyLong_Check(PyTuple_GET_ITEM(parts, 1)))) {
        Py_CLEAR(parts);
        PyErr_SetString(PyExc_TypeError, "CardFake: parts must give (prefix: str, offset: int, apply) or None");
    }
    if (parts != NULL) {
        if (PyDict_GET_SIZE(fake->known) >= PARTS_REMEMBERED)
            PyDict_Clear(fake->known);
        if (PyDict_SetItem(fake->known, key, parts) < 0)
            Py_CLEAR(parts);
    }
    Py_DECREF(key);
    return parts;
}

/* digits.luhn_check_digit: from the right, positions 0, 2, 4... doubled. */
static char
luhn_check_digit(const char *body, Py_ssize_t length)
{
    int total = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        int digit = body[length - 1 - i] - '0';
        if (i % 2 == 0)
            digit = digit > 4 ? digit * 2 - 9 : digit * 2;
        total += digit;
    }
    return (char)('0' + (10 - total % 10) % 10);
}

static PyObject *
card_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    CardFake *fake = (CardFake *)self;
    PyObject *value = args[0];
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (!PyUnicode_IS_ASCII(value) || length < 12 || length > MAX_DIGITS)
        return fake_fallback(&fake->head, args);
    const Py_UCS1 *digits = PyUnicode_1BYTE_DATA(value);
    for (Py_ssize_t i = 0; i < length; i++)
        if (digits[i] < '0' || digits[i] > '9')
            return fake_fallback(&fake->head, args);
    long long source_bin = 0;
    for (int i = 0; i < 6; i++)
        source_bin = source_bin * 10 + (digits[i] - '0');
    PyObject *parts = parts_of(fake, value, source_bin, length);
    if (parts == NULL)
        return NULL;
    if (parts == Py_None) {
        Py_DECREF(parts);
        return fake_fallback(&fake->head, args);
    }
    PyObject *prefix = PyTuple_GET_ITEM(parts, 0);
    Py_ssize_t prefix_length = PyUnicode_GET_LENGTH(prefix), width = length - prefix_length - 1;
    unsigned long long offset = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(parts, 1)), modulus = 1, middle = 0;
    if (offset == (unsigned long long)-1 && PyErr_Occurred()) {
        Py_DECREF(parts);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < width; i++) {
        modulus *= 10;
        middle = middle * 10 + (digits[prefix_length + i] - '0');
    }
    PyObject *number = PyLong_FromUnsignedLongLong((middle + offset) % modulus);
    PyObject *permuted = number != NULL ? PyObject_CallOneArg(PyTuple_GET_ITEM(parts, 2), number) : NULL;
    Py_XDECREF(number);
    if (permuted == NULL) {
        Py_DECREF(parts);
        return NULL;
    }
    unsigned long long account = PyLong_AsUnsignedLongLong(permuted);
    Py_DECREF(permuted);
    if (account == (unsigned long long)-1 && PyErr_Occurred()) {
        Py_DECREF(parts);
        return NULL;
    }
    char body[MAX_DIGITS + 1];
    memcpy(body, PyUnicode_1BYTE_DATA(prefix), (size_t)prefix_length);
    Py_DECREF(parts);
    for (Py_ssize_t i = prefix_length + width - 1; i >= prefix_length; i--) { /* str(account).zfill(width) */
        body[i] = (char)('0' + account % 10);
        account /= 10;
    }
    body[length - 1] = luhn_check_digit(body, length - 1);
    return fake_ascii(&fake->head, body, length);
}

static void
card_dealloc(CardFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->parts);
    Py_XDECREF(fake->known);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
card_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *parts, *fallback;
    Py_ssize_t max_length;
    static char *names[] = {"parts", "fallback", "max_length", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn", names, &parts, &fallback, &max_length))
        return NULL;
    if (!PyCallable_Check(parts) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "CardFake(parts, fallback, max_length): callables and an int (-1: none)");
        return NULL;
    }
    CardFake *fake = (CardFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->known = PyDict_New();
    if (fake->known == NULL) {
        Py_DECREF(fake);
        return NULL;
    }
    fake->head.vectorcall = card_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->parts = Py_NewRef(parts);
    return (PyObject *)fake;
}

PyTypeObject CardFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.CardFake",
    .tp_basicsize = sizeof(CardFake),
    .tp_dealloc = (destructor)card_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "CardFake(parts, fallback, max_length): CardPan's default fake of a bare-digit PAN; other values -> "
              "fallback.",
    .tp_new = card_new,
};
