/* The plumbing shared by the C fakes (ip.c, dates.c, card.c, person_name.c, phone.c,
 * address.c, email.c): argument checks, the hand-over to the
 * transformer's Python transform, and fitting a fake to the column's length as transformers.keyed.fit does. */
#include "speedups.h"

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
