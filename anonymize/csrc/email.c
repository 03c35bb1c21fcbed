/* transformers.email.Email's fake of an ASCII email in a column without a length limit: a keyed digest of the
 * trimmed, lowercased email picks a pool name (given.family in romaji) and an 8-character base32 tag, on the rule's
 * reserved mail domain. Non-ASCII and blank values: the Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

#define SHORT_EMAIL 256 /* normalized on the stack up to this length */

typedef struct {
    FakeHead head;
    PyObject *digest; /* Email._digest */
    PyObject *given;  /* tuple of ASCII str: the pool's given names in romaji */
    PyObject *family; /* tuple of ASCII str: its family names */
    PyObject *suffix; /* ASCII str: "@" + mail domain */
} EmailFake;

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

static PyObject *
email_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    EmailFake *fake = (EmailFake *)self;
    PyObject *value = args[0];
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (!PyUnicode_IS_ASCII(value) || length > SHORT_EMAIL || fake_is_blank(value))
        return fake_fallback(&fake->head, args);
    /* value.strip().lower() */
    const Py_UCS1 *text = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t first = 0, last = length;
    fake_strip(text, &first, &last);
    char normalized[SHORT_EMAIL];
    for (Py_ssize_t i = first; i < last; i++)
        normalized[i - first] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
    unsigned long long words[2];
    if (fake_digest_words(fake->digest, normalized, last - first, 2, words) < 0)
        return NULL;
    unsigned long long high = words[0], low = words[1];
    /* family, given = divmod((number >> 64) % space, given_count); the tag is number >> 24 & (2^40 - 1) */
    unsigned long long given_count = (unsigned long long)PyTuple_GET_SIZE(fake->given);
    unsigned long long drawn = high % (given_count * (unsigned long long)PyTuple_GET_SIZE(fake->family));
    PyObject *given = PyTuple_GET_ITEM(fake->given, (Py_ssize_t)(drawn % given_count));
    PyObject *family = PyTuple_GET_ITEM(fake->family, (Py_ssize_t)(drawn / given_count));
    unsigned long long tag = low >> 24 & ((1ULL << 40) - 1);
    Py_ssize_t given_length = PyUnicode_GET_LENGTH(given), family_length = PyUnicode_GET_LENGTH(family);
    Py_ssize_t suffix_length = PyUnicode_GET_LENGTH(fake->suffix);
    PyObject *result = PyUnicode_New(given_length + family_length + 10 + suffix_length, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    memcpy(out, PyUnicode_1BYTE_DATA(given), (size_t)given_length);
    out += given_length;
    *out++ = '.';
    memcpy(out, PyUnicode_1BYTE_DATA(family), (size_t)family_length);
    out += family_length;
    *out++ = '.';
    for (int i = 0; i < 8; i++)
        *out++ = base32[tag >> (35 - 5 * i) & 31];
    memcpy(out, PyUnicode_1BYTE_DATA(fake->suffix), (size_t)suffix_length);
    return result;
}

static void
email_dealloc(EmailFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->digest);
    Py_XDECREF(fake->given);
    Py_XDECREF(fake->family);
    Py_XDECREF(fake->suffix);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static int
ascii_names(PyObject *names)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(names, i)) || !PyUnicode_IS_ASCII(PyTuple_GET_ITEM(names, i)))
            return 0;
    return PyTuple_GET_SIZE(names) > 0;
}

static PyObject *
email_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *digest, *given, *family, *suffix, *fallback;
    static char *names[] = {"digest", "given", "family", "suffix", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!O!UO", names, &digest, &PyTuple_Type, &given, &PyTuple_Type,
                                     &family, &suffix, &fallback))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(fallback) || !ascii_names(given) || !ascii_names(family) ||
        !PyUnicode_IS_ASCII(suffix)) {
        PyErr_SetString(PyExc_TypeError, "EmailFake(digest, given, family, suffix, fallback): callables, tuples of "
                                         "ASCII str and an ASCII suffix");
        return NULL;
    }
    EmailFake *fake = (EmailFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = email_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = -1;
    fake->digest = Py_NewRef(digest);
    fake->given = Py_NewRef(given);
    fake->family = Py_NewRef(family);
    fake->suffix = Py_NewRef(suffix);
    return (PyObject *)fake;
}

PyTypeObject EmailFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.EmailFake",
    .tp_basicsize = sizeof(EmailFake),
    .tp_dealloc = (destructor)email_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "EmailFake(digest, given, family, suffix, fallback): Email's fake of an ASCII email; other values -> "
              "fallback.",
    .tp_new = email_new,
};
