/* transformers.phone.Phone's fake of a national Japanese number written in ASCII (090-1234-5678, 0312345678,
 * (03) 1234-5678) when no prefix is kept and no key column named: an 11-digit 0A0 mobile/IP number or a 10-digit
 * geographic one goes to the never-assigned 0A0-0 / 0X-0 (0100 for 01) block, its keyed digits a digest of the
 * national number, written back in the value's shape. International spellings, free dial, other lengths: the
 * Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

#define MAX_DIGITS 11

typedef struct {
    FakeHead head;
    PyObject *digest; /* Phone._digest */
} PhoneFake;

static int
starts(const char *digits, const char *prefix)
{
    return strncmp(digits, prefix, strlen(prefix)) == 0;
}

/* `width` keyed digits of `national` into `out`: int.from_bytes(digest[:8], "big") % 10**width, zero-filled. */
static int
keyed_digits(PhoneFake *fake, const char *national, Py_ssize_t length, int width, char *out)
{
    unsigned char digest[64];
    Py_ssize_t size = kd_digest(fake->digest, national, length, digest);
    if (size < 8) {
        if (size >= 0)
            PyErr_SetString(PyExc_ValueError, "PhoneFake: the digest must give at least 8 bytes");
        return -1;
    }
    unsigned long long number = 0;
    for (int i = 0; i < 8; i++)
        number = number << 8 | digest[i];
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + number % 10);
        number /= 10;
    }
    return 0;
}

static PyObject *
phone_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    PhoneFake *fake = (PhoneFake *)self;
    PyObject *value = args[0];
    if (!PyUnicode_IS_ASCII(value))
        return fake_fallback(&fake->head, args);
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), count = 0;
    char digits[MAX_DIGITS + 1];
    for (Py_ssize_t i = 0; i < length; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (count == MAX_DIGITS)
                return fake_fallback(&fake->head, args);
            digits[count++] = text[i];
        }
        else if (text[i] == '+')
            return fake_fallback(&fake->head, args); /* +81...: through its national form, in Python */
    }
    digits[count] = '\0';
    /* 0X... with X != 0: national, neither 00(81) international nor the 10-digit 0X0 non-geographic case */
    if (count < 10 || digits[0] != '0' || digits[1] == '0')
        return fake_fallback(&fake->head, args);
    char national[MAX_DIGITS + 1];
    memcpy(national, digits, (size_t)count + 1);
    if (count == 11 && (starts(digits, "050") || starts(digits, "060") || starts(digits, "070") ||
                        starts(digits, "080") || starts(digits, "090"))) {
        digits[3] = '0';
        if (keyed_digits(fake, national, count, 7, digits + 4) < 0)
            return NULL;
    }
    else if (count == 10 && !starts(digits, "0120") && !starts(digits, "0800") && !starts(digits, "0570")) {
        if (digits[1] == '1') { /* 010 is the international prefix: 0100 + 6 (no country code starts with 0) */
            memcpy(digits, "0100", 4);
            if (keyed_digits(fake, national, count, 6, digits + 4) < 0)
                return NULL;
        }
        else {
            digits[2] = '0';
            if (keyed_digits(fake, national, count, 7, digits + 3) < 0)
                return NULL;
        }
    }
    else
        return fake_fallback(&fake->head, args);
    PyObject *result = PyUnicode_New(length, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    for (Py_ssize_t i = 0, next = 0; i < length; i++) /* DigitShape.fill: the digits back in the value's shape */
        out[i] = text[i] >= '0' && text[i] <= '9' ? digits[next++] : text[i];
    return fake_fit(&fake->head, result);
}

static void
phone_dealloc(PhoneFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->digest);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
phone_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *digest, *fallback;
    Py_ssize_t max_length;
    static char *names[] = {"digest", "fallback", "max_length", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn", names, &digest, &fallback, &max_length))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "PhoneFake(digest, fallback, max_length): callables and an int (-1: none)");
        return NULL;
    }
    PhoneFake *fake = (PhoneFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = phone_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->digest = Py_NewRef(digest);
    return (PyObject *)fake;
}

PyTypeObject PhoneFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.PhoneFake",
    .tp_basicsize = sizeof(PhoneFake),
    .tp_dealloc = (destructor)phone_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "PhoneFake(digest, fallback, max_length): Phone's fake of a national number in ASCII; other values "
              "-> fallback.",
    .tp_new = phone_new,
};
