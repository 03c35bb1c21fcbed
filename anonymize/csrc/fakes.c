/* The plumbing shared by the C fakes (ip.c, dates.c, card.c, person_name.c, phone.c,
 * address.c, email.c, token.c): argument checks, the hand-over to the
 * transformer's Python transform, and fitting a fake to the column's length as transformers.keyed.fit does. */
#include "speedups.h"

/* The first `words` 8-byte big-endian words of `digest`'s digest of `data` (int.from_bytes(digest[8k:8k+8], "big")),
 * as the Python fakes read them. 0, or -1 with an exception set. */
int
fake_digest_words(PyObject *digest, const char *data, Py_ssize_t length, int words, unsigned long long *out)
{
    unsigned char bytes[64];
    Py_ssize_t size = kd_digest(digest, data, length, bytes);
    if (size < 0)
        return -1;
    if (size < 8 * words) {
        PyErr_Format(PyExc_ValueError, "a fake's digest must give at least %d bytes", 8 * words);
        return -1;
    }
    for (int k = 0; k < words; k++) {
        out[k] = 0;
        for (int i = 0; i < 8; i++)
            out[k] = out[k] << 8 | bytes[8 * k + i];
    }
    return 0;
}

/* (value: str, row) positionally, as rows.c and the pipeline's reference loop call a transform. */
int
fake_arguments(PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 2 || kwnames != NULL || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "a fake takes (value: str, row)");
        return -1;
    }
    return 0;
}

PyObject *
fake_fallback(FakeHead *fake, PyObject *const *args)
{
    return PyObject_Vectorcall(fake->fallback, args, 2, NULL);
}

/* keyed.fit: `text` cut to max_length characters. Steals the reference to `text`. */
PyObject *
fake_fit(FakeHead *fake, PyObject *text)
{
    if (text == NULL || fake->max_length < 0 || PyUnicode_GET_LENGTH(text) <= fake->max_length)
        return text;
    PyObject *cut = PyUnicode_Substring(text, 0, fake->max_length);
    Py_DECREF(text);
    return cut;
}

PyObject *
fake_ascii(FakeHead *fake, const char *text, Py_ssize_t length)
{
    if (fake->max_length >= 0 && length > fake->max_length)
        length = fake->max_length;
    return PyUnicode_FromStringAndSize(text, length);
}

/* str.strip()'s bounds in 1-byte text: [*first, *last) narrowed past whitespace at both ends. */
void
fake_strip(const Py_UCS1 *text, Py_ssize_t *first, Py_ssize_t *last)
{
    while (*first < *last && Py_UNICODE_ISSPACE(text[*first]))
        (*first)++;
    while (*last > *first && Py_UNICODE_ISSPACE(text[*last - 1]))
        (*last)--;
}

/* `not value.strip()`: a blank value, which names, addresses and emails keep as it is */
int
fake_is_blank(PyObject *value)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    for (Py_ssize_t i = 0, length = PyUnicode_GET_LENGTH(value); i < length; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
            return 0;
    return 1;
}

/* `value` in decimal at `out`, zero-filled to `width` digits (0: as many as it takes); the end of what was written.
 * snprintf's format parsing cost more than the rest of an IPv4 fake. */
char *
fake_put_decimal(char *out, unsigned long long value, int width)
{
    char digits[20];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count < width)
        digits[count++] = '0';
    while (count > 0)
        *out++ = digits[--count];
    return out;
}

void
fake_clear(FakeHead *fake)
{
    Py_CLEAR(fake->fallback);
}

PyObject *
digest_fake_new(PyTypeObject *type, PyObject *args, PyObject *kwargs, vectorcallfunc call)
{
    PyObject *digest, *fallback;
    Py_ssize_t max_length;
    static char *names[] = {"digest", "fallback", "max_length", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn", names, &digest, &fallback, &max_length))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(fallback)) {
        PyErr_Format(PyExc_TypeError, "%s(digest, fallback, max_length): callables and an int (-1: none)",
                     type->tp_name);
        return NULL;
    }
    DigestFake *fake = (DigestFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->digest = Py_NewRef(digest);
    return (PyObject *)fake;
}

void
digest_fake_dealloc(PyObject *self)
{
    DigestFake *fake = (DigestFake *)self;
    fake_clear(&fake->head);
    Py_XDECREF(fake->digest);
    Py_TYPE(self)->tp_free(self);
}

/* MemoizedTransformer.transform's memo, shared with the transformer (memo: its dict, or NULL): the fake of `value`
 * made before (borrowed), or NULL (not there, or no memo). */
PyObject *
fake_memo_get(PyObject *memo, PyObject *value)
{
    return memo != NULL ? PyDict_GetItemWithError(memo, value) : NULL;
}

/* ... and a new fake put in it as `transform` does: emptied first when it holds `size` fakes. -1 on error. */
int
fake_memo_put(PyObject *memo, Py_ssize_t size, PyObject *value, PyObject *fake)
{
    if (memo == NULL)
        return 0;
    if (PyDict_GET_SIZE(memo) >= size)
        PyDict_Clear(memo);
    return PyDict_SetItem(memo, value, fake);
}

/* The `memo` argument of a fake's constructor: None (no memo) or a dict. */
int
fake_memo_argument(PyObject *memo, PyObject **out)
{
    if (memo == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyDict_Check(memo)) {
        PyErr_SetString(PyExc_TypeError, "a fake's memo is None or a dict");
        return -1;
    }
    *out = Py_NewRef(memo);
    return 0;
}
