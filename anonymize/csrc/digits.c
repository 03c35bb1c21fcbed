/* transformers.digits.DigitShape.fill's substitution: the template with its ASCII digits replaced, in order, by
 * the fake's digits (090-1234-5678 stays 0X0-XXXX-XXXX), without a regex pass and a str.format per value. */
#include "speedups.h"

PyObject *
py_fill_digits(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "fill_digits(template: str, digits: str)");
        return NULL;
    }
    PyObject *template = args[0], *digits = args[1];
    Py_ssize_t length = PyUnicode_GET_LENGTH(template), count = PyUnicode_GET_LENGTH(digits), slots = 0;
    int kind = PyUnicode_KIND(template), digit_kind = PyUnicode_KIND(digits);
    const void *data = PyUnicode_DATA(template), *digit_data = PyUnicode_DATA(digits);
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= '0' && c <= '9')
            slots++;
        else if (c > maxchar)
            maxchar = c;
    }
    if (slots != count) {
        PyErr_SetString(PyExc_ValueError, "digit count changed");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_UCS4 c = PyUnicode_READ(digit_kind, digit_data, i);
        if (c > maxchar)
            maxchar = c;
    }
    PyObject *result = PyUnicode_New(length, maxchar);
    if (result == NULL)
        return NULL;
    int out_kind = PyUnicode_KIND(result);
    void *out = PyUnicode_DATA(result);
    for (Py_ssize_t i = 0, next = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= '0' && c <= '9')
            c = PyUnicode_READ(digit_kind, digit_data, next++);
        PyUnicode_WRITE(out_kind, out, i, c);
    }
    return result;
}
