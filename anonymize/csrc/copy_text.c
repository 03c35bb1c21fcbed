/* COPY TEXT fields in C, as anonymize/copy_text.py reads and writes them: where a line's fields start, and the
 * common cases of decode_field/encode_field (no backslash escapes) without leaving C; the rest calls the Python
 * functions, which stay the reference. And the byte arrays the row loop and the scan hand back. */
#include "speedups.h"

#include <string.h>

static PyObject *decode_field; /* copy_text.decode_field: values with backslash escapes */
static PyObject *encode_field; /* copy_text.encode_field: values that need escapes, and non-str values */

int
ct_init(void)
{
    PyObject *copy_text = PyImport_ImportModule("anonymize.copy_text");
    if (copy_text == NULL)
        return -1;
    decode_field = PyObject_GetAttrString(copy_text, "decode_field");
    encode_field = PyObject_GetAttrString(copy_text, "encode_field");
    Py_DECREF(copy_text);
    return decode_field == NULL || encode_field == NULL ? -1 : 0;
}

/* The line's field count. Field k (k < limit) is data[starts[k], starts[k + 1] - 1); `starts` holds limit + 1
 * entries, and the sentinel starts[count] = length + 1 is written when count <= limit. */
Py_ssize_t
ct_field_starts(const char *data, Py_ssize_t length, Py_ssize_t *starts, Py_ssize_t limit)
{
    const char *at = data, *end = data + length;
    Py_ssize_t count = 1;
    starts[0] = 0;
    while ((at = memchr(at, '\t', end - at)) != NULL) {
        if (count <= limit)
            starts[count] = at - data + 1;
        count++;
        at++;
    }
    if (count <= limit)
        starts[count] = length + 1;
    return count;
}

/* decode_field of a field known not to be NULL. */
PyObject *
ct_decode(const char *start, Py_ssize_t length)
{
    if (memchr(start, '\\', length) == NULL)
        return PyUnicode_DecodeUTF8(start, length, NULL);
    PyObject *raw = PyBytes_FromStringAndSize(start, length);
    if (raw == NULL)
        return NULL;
    PyObject *value = PyObject_CallOneArg(decode_field, raw);
    Py_DECREF(raw);
    return value;
}

/* encode_field: a str without characters to escape is its UTF-8. */
PyObject *
ct_encode(PyObject *value)
{
    if (value == Py_None)
        return PyBytes_FromStringAndSize("\\N", 2);
    if (!PyUnicode_Check(value))
        return PyObject_CallOneArg(encode_field, value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r' || c == '\b' || c == '\f' || c == '\v')
            return PyObject_CallOneArg(encode_field, value);
    }
    return PyUnicode_AsUTF8String(value);
}

/* Growable arrays of fixed-size items (int64 hashes, int16 positions): what array('q'/'h').tobytes() would hold. */
int
buffer_push(Buffer *buffer, const void *item)
{
    if (buffer->size == buffer->capacity) {
        Py_ssize_t capacity = buffer->capacity ? buffer->capacity * 2 : 1024;
        char *data = PyMem_Realloc(buffer->data, capacity * buffer->item);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buffer->data = data;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size * buffer->item, item, buffer->item);
    buffer->size++;
    return 0;
}

PyObject *
buffer_bytes(const Buffer *buffer)
{
    return PyBytes_FromStringAndSize(buffer->data ? buffer->data : "", buffer->size * buffer->item);
}
