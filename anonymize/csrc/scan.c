/* verify.scan_lines: the output lines' text and JSON fields -> the keyed hashes of their keys, for the leak check.
 * The same loop as the Python reference (per-process caches of raw field -> hashes shared with it), without the
 * interpreter's cost per field; a JSON value's keys still come from the Python `leak_keys.output_keys` (its memos of
 * the documents the transforms just wrote), hashed here (`_raw_keys`' JSON case), popped straight from its `_RECENT`
 * when the row loop asked about an equal output (what output_keys answers for a value that is not the noted one). */
#include "speedups.h"

#include <stdint.h>
#include <string.h>

static PyObject *output_keys; /* leak_keys.output_keys, for JSON fields: imported on first use */
static PyObject *recent;      /* leak_keys._RECENT: the keys of outputs the row loop asked about, popped here */

/* The hashes of one field packed as int64s (array('q') bytes), computed on a cache miss: what the caches hold.
 * JSON: verify._raw_keys' JSON case, [hash(salt + key) for key in output_keys(decode_field(raw), True)], the keys
 * from Python, the field's decoding and the hashes here. New reference. */
static PyObject *
packed_hashes(const char *raw, Py_ssize_t length, int is_json, PyObject *salt)
{
    Buffer hashes = {NULL, 0, 0, 8};
    PyObject *packed = NULL;
    if (is_json) {
        if (output_keys == NULL) {
            PyObject *module = PyImport_ImportModule("anonymize.leak_keys");
            if (module == NULL)
                return NULL;
            output_keys = PyObject_GetAttrString(module, "output_keys");
            if (output_keys != NULL && (recent = PyObject_GetAttrString(module, "_RECENT")) == NULL)
                PyErr_Clear(); /* no such memo: output_keys is asked every time */
            Py_DECREF(module);
            if (recent != NULL && !PyDict_CheckExact(recent))
                Py_CLEAR(recent); /* not the dict output_keys pops from: ask output_keys */
            if (output_keys == NULL)
                return NULL;
        }
        PyObject *value = ct_decode(raw, length);
        PyObject *list = NULL;
        if (value != NULL && recent != NULL) { /* output_keys' `_RECENT.pop(value)`, without the call into Python */
            list = PyDict_GetItemWithError(recent, value); /* borrowed */
            if (list != NULL && list != Py_None) {
                Py_INCREF(list);
                if (PyDict_DelItem(recent, value) < 0)
                    Py_CLEAR(list);
            }
            else
                list = NULL;
        }
        if (list == NULL && value != NULL && !PyErr_Occurred())
            list = PyObject_CallFunctionObjArgs(output_keys, value, Py_True, NULL);
        Py_XDECREF(value);
        if (list == NULL)
            return NULL;
        if (!PyList_Check(list)) {
            Py_DECREF(list);
            PyErr_SetString(PyExc_TypeError, "output_keys must return a list");
            return NULL;
        }
        for (Py_ssize_t h = 0; h < PyList_GET_SIZE(list); h++) {
            PyObject *key = PyList_GET_ITEM(list, h);
            if (!PyUnicode_Check(key)) {
                Py_DECREF(list);
                PyErr_SetString(PyExc_TypeError, "output_keys must return a list of str");
                goto done;
            }
            int64_t hashed = (int64_t)lk_salted_hash(salt, key);
            if ((hashed == -1 && PyErr_Occurred()) || buffer_push(&hashes, &hashed) < 0) {
                Py_DECREF(list);
                goto done;
            }
        }
        Py_DECREF(list);
    }
    else {
        PyObject *value = ct_decode(raw, length);
        if (value == NULL)
            return NULL;
        int failed = lk_output_hashes(value, salt, &hashes);
        Py_DECREF(value);
        if (failed < 0)
            goto done;
    }
    packed = buffer_bytes(&hashes);
done:
    PyMem_Free(hashes.data);
    return packed;
}

/* scan_lines(lines, wanted, is_json, salt, text_cache, json_cache, cache_limit) -> (hashes, positions, values)
 * lines: list of bytes; wanted: tuple of field positions or None (every field); is_json: tuple of bools, one per
 * scanned field; the caches: dicts raw bytes -> hashes packed as int64 bytes. Hashes are raw array('q') bytes,
 * positions raw array('h') bytes indexing `wanted`. */
PyObject *
py_scan_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "scan_lines takes 7 arguments");
        return NULL;
    }
    PyObject *lines = args[0], *wanted = args[1], *is_json = args[2], *salt = args[3];
    PyObject *caches[2] = {args[4], args[5]};
    Py_ssize_t cache_limit = PyLong_AsSsize_t(args[6]);
    if (cache_limit == -1 && PyErr_Occurred())
        return NULL;
    if (!PyList_Check(lines) || (wanted != Py_None && !PyTuple_Check(wanted)) || !PyTuple_Check(is_json) ||
        !PyUnicode_Check(salt) || !PyDict_Check(caches[0]) || !PyDict_Check(caches[1])) {
        PyErr_SetString(PyExc_TypeError, "scan_lines: bad argument types");
        return NULL;
    }
    Py_ssize_t scanned = PyTuple_GET_SIZE(is_json);
    Py_ssize_t nwanted = wanted == Py_None ? scanned : PyTuple_GET_SIZE(wanted);
    if (nwanted != scanned || scanned > INT16_MAX) {
        PyErr_SetString(PyExc_ValueError, "scan_lines: wanted and is_json differ in length");
        return NULL;
    }
    Py_ssize_t *at = PyMem_Malloc(sizeof(Py_ssize_t) * (scanned ? scanned : 1));
    int *json = PyMem_Malloc(sizeof(int) * (scanned ? scanned : 1));
    Buffer hashes = {NULL, 0, 0, 8}, positions = {NULL, 0, 0, 2};
    Py_ssize_t values = 0;
    Py_ssize_t highest = -1;
    PyObject *result = NULL;
    if (at == NULL || json == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < scanned; k++) {
        at[k] = wanted == Py_None ? k : PyLong_AsSsize_t(PyTuple_GET_ITEM(wanted, k));
        json[k] = PyObject_IsTrue(PyTuple_GET_ITEM(is_json, k));
        if ((at[k] == -1 && PyErr_Occurred()) || json[k] < 0)
            goto done;
        if (at[k] < 0) {
            PyErr_SetString(PyExc_ValueError, "scan_lines: negative field position");
            goto done;
        }
        if (at[k] > highest)
            highest = at[k];
    }
    /* Field starts of one line, as far as the scan needs: field k is data[starts[k], starts[k + 1] - 1). */
    Py_ssize_t limit = wanted == Py_None ? scanned : highest + 1;
    Py_ssize_t *starts = PyMem_Malloc(sizeof(Py_ssize_t) * (limit + 1));
    if (starts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyBytes_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "lines must be bytes");
            goto fail;
        }
        const char *data = PyBytes_AS_STRING(line);
        Py_ssize_t line_fields = ct_field_starts(data, PyBytes_GET_SIZE(line), starts, limit);
        if (wanted == Py_None && line_fields > scanned) {
            PyErr_Format(PyExc_IndexError, "scan_lines: a line has more fields than the %zd scanned", scanned);
            goto fail;
        }
        for (Py_ssize_t k = 0; k < (wanted == Py_None ? line_fields : scanned); k++) {
            if (at[k] >= line_fields) {
                PyErr_SetString(PyExc_IndexError, "scan_lines: a wanted field is past the line's end");
                goto fail;
            }
            const char *raw = data + starts[at[k]];
            Py_ssize_t raw_length = starts[at[k] + 1] - 1 - starts[at[k]];
            if (raw_length < 2 || (raw_length == 2 && raw[0] == '\\' && raw[1] == 'N'))
                continue;
            values++;
            PyObject *key = PyBytes_FromStringAndSize(raw, raw_length);
            if (key == NULL)
                goto fail;
            PyObject *cache = caches[json[k]];
            PyObject *found = PyDict_GetItemWithError(cache, key); /* borrowed */
            if (found == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(key);
                    goto fail;
                }
                PyObject *computed = packed_hashes(raw, raw_length, json[k], salt);
                if (computed == NULL) {
                    Py_DECREF(key);
                    goto fail;
                }
                if (PyDict_GET_SIZE(cache) >= cache_limit)
                    PyDict_Clear(cache);
                int failed = PyDict_SetItem(cache, key, computed);
                Py_DECREF(computed); /* the cache holds it */
                if (failed < 0) {
                    Py_DECREF(key);
                    goto fail;
                }
                found = computed;
            }
            Py_DECREF(key);
            if (!PyBytes_Check(found) || PyBytes_GET_SIZE(found) % 8) {
                PyErr_SetString(PyExc_TypeError, "scan_lines: a cached field's hashes must be packed int64 bytes");
                goto fail;
            }
            int16_t position = (int16_t)k;
            const char *packed = PyBytes_AS_STRING(found);
            for (Py_ssize_t h = 0; h < PyBytes_GET_SIZE(found) / 8; h++) {
                int64_t hashed;
                memcpy(&hashed, packed + 8 * h, 8);
                if (buffer_push(&hashes, &hashed) < 0 || buffer_push(&positions, &position) < 0)
                    goto fail;
            }
        }
    }
    result = Py_BuildValue("(NNn)", buffer_bytes(&hashes), buffer_bytes(&positions), values);
fail:
    PyMem_Free(starts);
done:
    PyMem_Free(at);
    PyMem_Free(json);
    PyMem_Free(hashes.data);
    PyMem_Free(positions.data);
    return result;
}
