/* json_paths._ENCODE (json.JSONEncoder(ensure_ascii=False, check_circular=False).encode) for the documents a JSON
 * transform writes: what json.loads made, with scalars put in. Python's C encoder (_json.c) builds a list of small
 * strings (one per key, separator and value) and joins them; this writes the text once into one growing buffer.
 *
 * The same bytes as Python's encoder, by its own rules (CPython 3.11 _json.c): separators ", " and ": "; a string
 * between quotes with `"`, `\` and the characters below U+0020 escaped (\b \f \n \r \t, else \u00xx, lower-case
 * hex), everything else as it is (ensure_ascii off: non-ASCII, U+007F and lone surrogates included); an int as
 * int.__repr__; a float as float.__repr__, or NaN, Infinity, -Infinity; true, false, null; `{}` and `[]` empty.
 * Only JSON's exact types are written here (dict with str keys, list, str, int, float, bool, None): for anything
 * else (a tuple, a subclass, a non-str key) the function returns None and the caller encodes the document in
 * Python, so the rules of Python's encoder for those never need copying. tests/anonymize/test_json_encode.py holds
 * it to json.dumps on generated and fixed documents. */
#include "speedups.h"

#define FALLBACK 1 /* encode() result: a value this file doesn't write (no Python error set) */

static const char hex_digits[] = "0123456789abcdef";

/* The characters that need an escape in a string of `kind` from `start`; -1 when none. */
static Py_ssize_t
first_escape(int kind, const void *data, Py_ssize_t start, Py_ssize_t length)
{
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *chars = data;
        for (Py_ssize_t i = start; i < length; i++) {
            Py_UCS1 c = chars[i];
            if (c < 0x20 || c == '"' || c == '\\')
                return i;
        }
        return -1;
    }
    for (Py_ssize_t i = start; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x20 || c == '"' || c == '\\')
            return i;
    }
    return -1;
}

static int
write_string(_PyUnicodeWriter *writer, PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (_PyUnicodeWriter_WriteChar(writer, '"') < 0)
        return -1;
    Py_ssize_t start = 0;
    for (;;) {
        Py_ssize_t at = first_escape(kind, data, start, length);
        Py_ssize_t end = at < 0 ? length : at;
        if (end > start) {
            int failed = start == 0 && end == length ? _PyUnicodeWriter_WriteStr(writer, text) :
                                                       _PyUnicodeWriter_WriteSubstring(writer, text, start, end);
            if (failed < 0)
                return -1;
        }
        if (at < 0)
            break;
        Py_UCS4 c = PyUnicode_READ(kind, data, at);
        char escape[7] = {'\\', 0, 0, 0, 0, 0, 0};
        Py_ssize_t size = 2;
        switch (c) {
        case '"': escape[1] = '"'; break;
        case '\\': escape[1] = '\\'; break;
        case '\b': escape[1] = 'b'; break;
        case '\f': escape[1] = 'f'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        default:
            escape[1] = 'u';
            escape[2] = '0';
            escape[3] = '0';
            escape[4] = hex_digits[(c >> 4) & 0xf];
            escape[5] = hex_digits[c & 0xf];
            size = 6;
        }
        if (_PyUnicodeWriter_WriteASCIIString(writer, escape, size) < 0)
            return -1;
        start = at + 1;
    }
    return _PyUnicodeWriter_WriteChar(writer, '"');
}

static int
write_repr(_PyUnicodeWriter *writer, PyObject *value, reprfunc repr)
{
    PyObject *text = repr(value);
    if (text == NULL)
        return -1;
    int failed = _PyUnicodeWriter_WriteStr(writer, text);
    Py_DECREF(text);
    return failed;
}

static int
write_int(_PyUnicodeWriter *writer, PyObject *value)
{
    int overflow = 0;
    long long small = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow)
        return write_repr(writer, value, PyLong_Type.tp_repr); /* a big int: int.__repr__ itself */
    if (small == -1 && PyErr_Occurred())
        return -1;
    char digits[32];
    int size = snprintf(digits, sizeof digits, "%lld", small); /* int.__repr__ of a value that fits */
    return _PyUnicodeWriter_WriteASCIIString(writer, digits, size);
}

static int
write_float(_PyUnicodeWriter *writer, PyObject *value)
{
    double x = PyFloat_AS_DOUBLE(value);
    if (Py_IS_NAN(x))
        return _PyUnicodeWriter_WriteASCIIString(writer, "NaN", 3);
    if (Py_IS_INFINITY(x))
        return x > 0 ? _PyUnicodeWriter_WriteASCIIString(writer, "Infinity", 8) :
                       _PyUnicodeWriter_WriteASCIIString(writer, "-Infinity", 9);
    return write_repr(writer, value, PyFloat_Type.tp_repr);
}

/* 0, -1 with a Python error, or FALLBACK (nothing written that matters: the caller drops the buffer). */
static int
encode(_PyUnicodeWriter *writer, PyObject *node)
{
    if (PyUnicode_CheckExact(node))
        return write_string(writer, node);
    if (node == Py_None)
        return _PyUnicodeWriter_WriteASCIIString(writer, "null", 4);
    if (node == Py_True)
        return _PyUnicodeWriter_WriteASCIIString(writer, "true", 4);
    if (node == Py_False)
        return _PyUnicodeWriter_WriteASCIIString(writer, "false", 5);
    if (PyLong_CheckExact(node))
        return write_int(writer, node);
    if (PyFloat_CheckExact(node))
        return write_float(writer, node);
    int is_dict = PyDict_CheckExact(node);
    if (!is_dict && !PyList_CheckExact(node))
        return FALLBACK;
    /* As deep as Python's encoder may go (a RecursionError, not a C stack overflow) */
    if (Py_EnterRecursiveCall(" while encoding a JSON object"))
        return -1;
    int failed = 0;
    if (is_dict) {
        Py_ssize_t position = 0, count = 0;
        PyObject *key, *value;
        failed = _PyUnicodeWriter_WriteChar(writer, '{');
        /* Values are read, never set: the dict can't change under the walk (no Python code runs here). */
        while (!failed && PyDict_Next(node, &position, &key, &value)) {
            if (!PyUnicode_CheckExact(key)) {
                failed = FALLBACK;
                break;
            }
            if (count++ && _PyUnicodeWriter_WriteASCIIString(writer, ", ", 2) < 0)
                failed = -1;
            else if (write_string(writer, key) < 0 || _PyUnicodeWriter_WriteASCIIString(writer, ": ", 2) < 0)
                failed = -1;
            else
                failed = encode(writer, value);
        }
        if (!failed)
            failed = _PyUnicodeWriter_WriteChar(writer, '}');
    }
    else {
        failed = _PyUnicodeWriter_WriteChar(writer, '[');
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(node); i++) {
            if (i && _PyUnicodeWriter_WriteASCIIString(writer, ", ", 2) < 0)
                failed = -1;
            else
                failed = encode(writer, PyList_GET_ITEM(node, i));
        }
        if (!failed)
            failed = _PyUnicodeWriter_WriteChar(writer, ']');
    }
    Py_LeaveRecursiveCall();
    return failed;
}

PyObject *
py_json_encode(PyObject *module, PyObject *document)
{
    _PyUnicodeWriter writer;
    _PyUnicodeWriter_Init(&writer);
    writer.overallocate = 1;
    /* One buffer for a whole payload (bench/snapshot's strangers webhooks: 1.3 kB on average; 4.8 against 5.5 µs a
     * document measured with 256), cut to size by _PyUnicodeWriter_Finish. */
    writer.min_length = 4096;
    int failed = encode(&writer, document);
    if (failed) {
        _PyUnicodeWriter_Dealloc(&writer);
        return failed == FALLBACK ? Py_NewRef(Py_None) : NULL;
    }
    return _PyUnicodeWriter_Finish(&writer);
}
