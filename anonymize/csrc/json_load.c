/* json_paths._load's parse: json.loads(text) for a str, without json.loads' and JSONDecoder.decode's Python frames
 * and their whitespace regex (measured ~0.3 of 1.9 CPU s of the orders payloads' transform). The parse itself is
 * Python's own C scanner (`scan_once`, json.scanner.c_make_scanner of a default JSONDecoder, as json.loads' default
 * decoder has it), called at the first non-whitespace character; what json.loads adds around it is done here:
 * a text starting with a byte order mark is refused, whitespace (json.decoder.WHITESPACE: space, \t, \n, \r) is
 * skipped before and after, and anything after the document is refused. Every refusal is a ValueError (json_paths
 * turns any into its TransformError; the messages are not json's). */
#include "speedups.h"

static Py_ssize_t
skip_whitespace(int kind, const void *data, Py_ssize_t at, Py_ssize_t size)
{
    while (at < size) {
        Py_UCS4 c = PyUnicode_READ(kind, data, at);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        at++;
    }
    return at;
}

PyObject *
py_json_load(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "json_load(scan_once, text: str)");
        return NULL;
    }
    PyObject *scan_once = args[0], *text = args[1];
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (size > 0 && PyUnicode_READ(kind, data, 0) == 0xFEFF) {
        PyErr_SetString(PyExc_ValueError, "Unexpected UTF-8 BOM (decode using utf-8-sig)");
        return NULL;
    }
    Py_ssize_t start = skip_whitespace(kind, data, 0, size);
    PyObject *at = PyLong_FromSsize_t(start);
    if (at == NULL)
        return NULL;
    PyObject *call[] = {text, at};
    PyObject *found = PyObject_Vectorcall(scan_once, call, 2, NULL);
    Py_DECREF(at);
    if (found == NULL) {
        if (PyErr_ExceptionMatches(PyExc_StopIteration)) { /* nothing parses at `start` */
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "Expecting value");
        }
        return NULL;
    }
    if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "json_load: scan_once must return (value, end)");
        return NULL;
    }
    Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(found, 1));
    if (end == -1 && PyErr_Occurred()) {
        Py_DECREF(found);
        return NULL;
    }
    if (end < 0 || end > size || skip_whitespace(kind, data, end, size) != size) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_ValueError, "Extra data");
        return NULL;
    }
    PyObject *value = Py_NewRef(PyTuple_GET_ITEM(found, 0));
    Py_DECREF(found);
    return value;
}
