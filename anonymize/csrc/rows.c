/* The row loop of pipeline.rows.RowTransformer.process: split COPY TEXT lines, decode the transformed fields, call
 * each column's transformer (Python), encode, join, and feed the leak check (source values into the index's hashes,
 * fresh fakes into the output scan) — the same steps, in the same order, as the Python loop it replaces, which
 * stays the reference and the fallback. The per-value bookkeeping around the transformer call was as much CPU as
 * the transformers themselves; here it is a few hundred nanoseconds.
 */
#include "speedups.h"

#include <stdint.h>
#include <string.h>

/* The record modes (MODE_*) and failure codes (FAILED_*): interface.h, from anonymize/native_interface.py. */

static int
has_decimal(PyObject *value)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    for (Py_ssize_t i = 0, length = PyUnicode_GET_LENGTH(value); i < length; i++) {
        if (IS_DECIMAL(PyUnicode_READ(kind, data, i)))
            return 1;
    }
    return 0;
}

static PyObject *output_keys;   /* leak_keys.output_keys: a JSON fake's keys */

static int
push_hash(Buffer *buffer, Py_hash_t hashed)
{
    int64_t value = (int64_t)hashed;
    return buffer_push(buffer, &value);
}

/* One slot of the row loop, read from a native_interface.SlotSpec (parse_slot); it holds references to its
 * callables and memo. */
typedef struct {
    Py_ssize_t position;
    PyObject *transform;
    int mode;
    int identifying;
    int is_json;
    PyObject *leak_values; /* the transformer's leak_values, or its leak_items (MODE_PIECES,
                              MODE_WHOLE_ITEM_OR_NOTHING) */
    Py_ssize_t scan_index; /* -1: the fake isn't scanned here */
    PyObject *memo;        /* MemoizedTransformer._memo (value -> fake) when `transform` is its plain lookup, or None */
    unsigned int origin;   /* the leak check's origin id of the column's whole values (leak_origins.origin_id) */
    Py_ssize_t counts[4]; /* values, changed, nulls, unchanged personal values */
} Slot;

typedef struct {
    PyObject *salt;
    PyObject *seen[2]; /* [other, identifying]: source value -> its first key (or None), per process */
    Py_ssize_t seen_limit;
    Buffer hashes[2]; /* [other, identifying] */
    Buffer inline_hashes, inline_positions;
    Py_ssize_t inline_values;
    Buffer origins; /* uint32: the origin id of each identifying hash, in step with hashes[1] */
    Buffer ids, id_origins; /* identifiers the source keeps (pieces flagged None): their hashes and origin ids */
} Leaks;

/* A hash into the index under its flag; an identifying one with its origin id. */
static int
push_recorded(Leaks *leaks, int identifying, Py_hash_t hashed, uint32_t origin)
{
    if (push_hash(&leaks->hashes[identifying], hashed) < 0)
        return -1;
    return identifying ? buffer_push(&leaks->origins, &origin) : 0;
}

/* LeakRecorder.record_whole: hash a source value into the index (once per process), and say whether `new` is
 * still the same value. -1 on error. */
static int
record_whole(Leaks *leaks, PyObject *value, PyObject *new, int identifying, uint32_t origin)
{
    PyObject *seen = leaks->seen[identifying];
    PyObject *first = PyDict_GetItemWithError(seen, value); /* borrowed */
    if (first == NULL) {
        if (PyErr_Occurred())
            return -1;
        PyObject *keys = PyList_New(0);
        if (keys == NULL || lk_append_keys(keys, value) < 0) {
            Py_XDECREF(keys);
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
            Py_hash_t hashed = lk_salted_hash(leaks->salt, PyList_GET_ITEM(keys, i));
            if ((hashed == -1 && PyErr_Occurred()) || push_recorded(leaks, identifying, hashed, origin) < 0) {
                Py_DECREF(keys);
                return -1;
            }
        }
        if (PyDict_GET_SIZE(seen) >= leaks->seen_limit)
            PyDict_Clear(seen);
        PyObject *key = PyList_GET_SIZE(keys) ? PyList_GET_ITEM(keys, 0) : Py_None;
        int failed = PyDict_SetItem(seen, value, key);
        first = key; /* borrowed: the dict holds it now */
        Py_DECREF(keys);
        if (failed < 0)
            return -1;
    }
    if (first == Py_None || new == Py_None)
        return 0;
    int same = PyObject_RichCompareBool(new, value, Py_EQ);
    if (same != 0)
        return same;
    if (!PyUnicode_Check(new) || PyUnicode_GET_LENGTH(new) != PyUnicode_GET_LENGTH(value))
        return 0;
    PyObject *key = lk_make_key(new);
    if (key == NULL)
        return -1;
    same = PyObject_RichCompareBool(key, first, Py_EQ);
    Py_DECREF(key);
    return same;
}

/* list(leak_items(value)): what a slot's leak_items gives for a value, as a list. New reference, NULL on error. */
static PyObject *
leak_items_of(PyObject *leak_items, PyObject *value)
{
    PyObject *found = PyObject_CallOneArg(leak_items, value);
    PyObject *items = found == NULL ? NULL : PySequence_List(found);
    Py_XDECREF(found);
    return items;
}

/* Checks that `item` is (piece: str, identifying[, origin: int]) and sets *origin to its origin id when it gives one
 * (else leaves the slot's). -1 with an exception set when it is not such a tuple or its origin doesn't fit 32 bits. */
static int
read_leak_item(PyObject *item, uint32_t *origin)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 2 || PyTuple_GET_SIZE(item) > 3 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(item, 0))) {
        PyErr_SetString(PyExc_TypeError, "leak_items must yield (piece: str, identifying[, origin: int]) tuples");
        return -1;
    }
    if (PyTuple_GET_SIZE(item) == 3) {
        unsigned long given = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(item, 2));
        if ((given == (unsigned long)-1 && PyErr_Occurred()) || given > UINT32_MAX) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_OverflowError, "an origin id must fit 32 bits");
            return -1;
        }
        *origin = (uint32_t)given;
    }
    return 0;
}

/* "Whole or nothing" (the Python loop's WHOLE_OR_NOTHING): leak_items(value) gives (piece, identifying[, origin])
 * or nothing; the first item's piece is recorded whole under its own flag, with its origin id or the slot's. -1 on
 * error. */
static int
record_first_item(Leaks *leaks, PyObject *leak_items, PyObject *value, PyObject *new, uint32_t origin)
{
    PyObject *items = leak_items_of(leak_items, value);
    if (items == NULL)
        return -1;
    if (PyList_GET_SIZE(items) == 0) {
        Py_DECREF(items);
        return 0;
    }
    PyObject *item = PyList_GET_ITEM(items, 0);
    int identifying = read_leak_item(item, &origin) < 0 ? -1 : PyObject_IsTrue(PyTuple_GET_ITEM(item, 1));
    int unchanged = identifying < 0 ? -1 : record_whole(leaks, PyTuple_GET_ITEM(item, 0), new, identifying, origin);
    Py_DECREF(items);
    return unchanged;
}

/* leak_keys.output_keys(new, True), a JSON fake's keys, asked once per value: the output scan (scan_inline) and the
 * unchanged test (output_key_set) read the same list (`*keys`, which the row loop clears after each value). Before,
 * each asked Python, and the scan hashed the keys in Python too (leak_keys.output_hashes). Borrowed, NULL on error. */
static PyObject *
json_output_keys(PyObject *new, PyObject **keys)
{
    if (*keys != NULL)
        return *keys;
    if (output_keys == NULL) {
        PyObject *module = PyImport_ImportModule("anonymize.leak_keys");
        if (module == NULL)
            return NULL;
        output_keys = PyObject_GetAttrString(module, "output_keys");
        Py_DECREF(module);
        if (output_keys == NULL)
            return NULL;
    }
    PyObject *found = PyObject_CallFunctionObjArgs(output_keys, new, Py_True, NULL);
    if (found != NULL && !PyList_CheckExact(found))
        Py_SETREF(found, PySequence_List(found));
    *keys = found;
    return found;
}

/* The output keys of a fake as a set: leak_keys.output_keys(new, True) for JSON (json_output_keys), the C ones for
 * text. */
static PyObject *
output_key_set(PyObject *new, int is_json, PyObject **json_keys)
{
    PyObject *keys;
    if (is_json) {
        keys = json_output_keys(new, json_keys);
        return keys == NULL ? NULL : PySet_New(keys);
    }
    keys = lk_text_output_keys(new);
    if (keys == NULL)
        return NULL;
    PyObject *set = PySet_New(keys);
    Py_DECREF(keys);
    return set;
}

/* LeakRecorder.record(list(leak_items(value)), new, is_json, origin): each piece's keys hashed under its own flag (an
 * identifying piece's with its own origin id, or the slot's; a piece flagged None is an identifier the source keeps,
 * hashed apart); whether a key of one is still among the fake's output keys (left unchanged in its own row). -1 on
 * error. */
static int
record_pieces(Leaks *leaks, PyObject *leak_items, PyObject *value, PyObject *new, int is_json, uint32_t origin,
              PyObject **json_keys)
{
    PyObject *items = leak_items_of(leak_items, value);
    if (items == NULL)
        return -1;
    int unchanged = 0, failed = 0;
    PyObject *out = NULL, *keys = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items) && !failed; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        uint32_t piece_origin = origin;
        if (read_leak_item(item, &piece_origin) < 0) {
            failed = 1;
            break;
        }
        int identifier = PyTuple_GET_ITEM(item, 1) == Py_None;
        int identifying = identifier ? 0 : PyObject_IsTrue(PyTuple_GET_ITEM(item, 1));
        Py_XSETREF(keys, PyList_New(0));
        if (identifying < 0 || keys == NULL || lk_append_keys(keys, PyTuple_GET_ITEM(item, 0)) < 0) {
            failed = 1;
            break;
        }
        if (identifier) {
            for (Py_ssize_t k = 0; k < PyList_GET_SIZE(keys) && !failed; k++) {
                Py_hash_t hashed = lk_salted_hash(leaks->salt, PyList_GET_ITEM(keys, k));
                failed = (hashed == -1 && PyErr_Occurred()) || push_hash(&leaks->ids, hashed) < 0 ||
                         buffer_push(&leaks->id_origins, &piece_origin) < 0;
            }
            continue;
        }
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(keys) && !failed; k++) {
            PyObject *key = PyList_GET_ITEM(keys, k);
            Py_hash_t hashed = lk_salted_hash(leaks->salt, key);
            if ((hashed == -1 && PyErr_Occurred()) || push_recorded(leaks, identifying, hashed, piece_origin) < 0) {
                failed = 1;
                break;
            }
            if (new == Py_None || unchanged)
                continue;
            if (out == NULL && (out = output_key_set(new, is_json, json_keys)) == NULL) {
                failed = 1;
                break;
            }
            unchanged = PySet_Contains(out, key);
            failed = unchanged < 0;
        }
    }
    Py_XDECREF(keys);
    Py_XDECREF(out);
    Py_DECREF(items);
    return failed ? -1 : unchanged;
}

/* The fake's keys into the output scan (pipeline: scanned where it is made). */
static int
scan_inline(Leaks *leaks, PyObject *new, int is_json, Py_ssize_t scan_index, PyObject **json_keys)
{
    int16_t position = (int16_t)scan_index;
    if (!is_json) { /* the keys hashed straight into the buffers: no list of ints in between */
        Py_ssize_t before = leaks->inline_hashes.size;
        if (lk_output_hashes(new, leaks->salt, &leaks->inline_hashes) < 0)
            return -1;
        for (Py_ssize_t i = before; i < leaks->inline_hashes.size; i++)
            if (buffer_push(&leaks->inline_positions, &position) < 0)
                return -1;
        leaks->inline_values++;
        return 0;
    }
    PyObject *keys = json_output_keys(new, json_keys); /* leak_keys.output_hashes(new, True, salt), hashed here */
    if (keys == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "output_keys must give str keys");
            return -1;
        }
        Py_hash_t hashed = lk_salted_hash(leaks->salt, key);
        if ((hashed == -1 && PyErr_Occurred()) || push_hash(&leaks->inline_hashes, hashed) < 0 ||
            buffer_push(&leaks->inline_positions, &position) < 0)
            return -1;
    }
    leaks->inline_values++;
    return 0;
}

static int
set_failed(PyObject *failed, long kind, Py_ssize_t where)
{
    PyObject *a = PyLong_FromLong(kind), *b = PyLong_FromSsize_t(where);
    if (a == NULL || b == NULL) {
        Py_XDECREF(a);
        Py_XDECREF(b);
        return -1;
    }
    PyList_SetItem(failed, 0, a);
    PyList_SetItem(failed, 1, b);
    return 0;
}

/* A SlotSpec's attribute as a new reference; NULL with the exception set. */
static PyObject *
spec_field(PyObject *spec, const char *name)
{
    PyObject *field = PyObject_GetAttrString(spec, name);
    if (field == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "a slot must be a native_interface.SlotSpec (no attribute %s)", name);
    }
    return field;
}

/* A SlotSpec's int attribute into `out`. */
static int
spec_index(PyObject *spec, const char *name, Py_ssize_t *out)
{
    PyObject *field = spec_field(spec, name);
    if (field == NULL)
        return -1;
    *out = PyLong_AsSsize_t(field);
    Py_DECREF(field);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* One native_interface.SlotSpec read by its attribute names; the slot holds references to its callables and memo
 * (free_slots releases them). */
static int
parse_slot(PyObject *spec, Slot *slot, Py_ssize_t width)
{
    Py_ssize_t mode, origin, identifying, is_json;
    if ((slot->transform = spec_field(spec, "transform")) == NULL ||
        (slot->leak_values = spec_field(spec, "leak_values")) == NULL ||
        (slot->memo = spec_field(spec, "memo")) == NULL)
        return -1;
    if (spec_index(spec, "position", &slot->position) < 0 || spec_index(spec, "mode", &mode) < 0 ||
        spec_index(spec, "scan_index", &slot->scan_index) < 0 || spec_index(spec, "origin", &origin) < 0 ||
        spec_index(spec, "identifying", &identifying) < 0 || spec_index(spec, "is_json", &is_json) < 0)
        return -1;
    /* bools are ints; anything but 0 or 1 is refused, `identifying` indexes the leak buffers */
    if ((identifying | is_json) & ~(Py_ssize_t)1) {
        PyErr_SetString(PyExc_ValueError, "a slot's identifying and is_json must be bools");
        return -1;
    }
    slot->identifying = (int)identifying;
    slot->is_json = (int)is_json;
    if (slot->position < 0 || slot->position >= width || mode < MODE_NOT_PERSONAL || mode > MODE_PIECES ||
        origin < 0 || origin > UINT32_MAX || !PyCallable_Check(slot->transform) ||
        (slot->memo != Py_None && !PyDict_Check(slot->memo))) {
        PyErr_SetString(PyExc_ValueError, "a slot's position, mode or origin is out of range, its transform not "
                                          "callable or its memo no dict");
        return -1;
    }
    slot->mode = (int)mode;
    slot->origin = (unsigned int)origin;
    return 0;
}

static void
free_slots(Slot *slots, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; slots != NULL && i < count; i++) {
        Py_XDECREF(slots[i].transform);
        Py_XDECREF(slots[i].leak_values);
        Py_XDECREF(slots[i].memo);
    }
    PyMem_Free(slots);
}

static int
parse_slots(PyObject *specs, Slot **out, Py_ssize_t *count, Py_ssize_t width)
{
    if (!PyTuple_Check(specs)) {
        PyErr_SetString(PyExc_TypeError, "slots must be a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(specs);
    Slot *slots = PyMem_Calloc(n ? n : 1, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (parse_slot(PyTuple_GET_ITEM(specs, i), &slots[i], width) < 0) {
            free_slots(slots, i + 1);
            return -1;
        }
    }
    *out = slots;
    *count = n;
    return 0;
}

/* transform_lines(lines, width, slots, row_arg, lazy_row, salt, seen_other, seen_identifying, seen_limit, failed) -> (counts, identifying, other, inline hashes, inline positions, inline values,
 *                 origins of the identifying hashes, identifiers' hashes, their origins)
 * See pipeline.native_rows.NativeLoop.process for the arguments. `lines` is rewritten in place. */
PyObject *
py_transform_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "transform_lines takes 10 arguments");
        return NULL;
    }
    PyObject *lines = args[0], *row_arg = args[3], *lazy_row = args[4], *salt = args[5];
    PyObject *failed = args[9];
    Py_ssize_t width = PyLong_AsSsize_t(args[1]);
    Py_ssize_t seen_limit = PyLong_AsSsize_t(args[8]);
    if ((width == -1 || seen_limit == -1) && PyErr_Occurred())
        return NULL;
    if (!PyList_Check(lines) || !PyList_Check(failed) || PyList_GET_SIZE(failed) != 2 || width < 1) {
        PyErr_SetString(PyExc_TypeError, "transform_lines: lines and failed must be lists, width positive");
        return NULL;
    }
    if (lazy_row != Py_None && !row_check(lazy_row)) {
        PyErr_SetString(PyExc_TypeError, "transform_lines: lazy_row must be a Row or None");
        return NULL;
    }
    int leak_check = salt != Py_None;
    if (leak_check && (!PyUnicode_Check(salt) || !PyDict_Check(args[6]) || !PyDict_Check(args[7]))) {
        PyErr_SetString(PyExc_TypeError, "transform_lines: salt must be str and the seen memories dicts");
        return NULL;
    }
    Slot *slots = NULL;
    Py_ssize_t nslots = 0;
    if (parse_slots(args[2], &slots, &nslots, width) < 0)
        return NULL;

    Leaks leaks = {salt, {args[6], args[7]}, seen_limit, {{NULL, 0, 0, 8}, {NULL, 0, 0, 8}}, {NULL, 0, 0, 8},
                   {NULL, 0, 0, 2}, 0, {NULL, 0, 0, 4}, {NULL, 0, 0, 8}, {NULL, 0, 0, 4}};
    Py_ssize_t *starts = PyMem_Malloc(sizeof(Py_ssize_t) * (width + 1));
    PyObject **replaced = PyMem_Calloc(width, sizeof(PyObject *));
    PyObject *value = NULL, *new = NULL, *result = NULL, *json_keys = NULL; /* json_keys: json_output_keys' */
    if (starts == NULL || replaced == NULL) {
        PyErr_NoMemory();
        goto done;
    }

    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyBytes_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "lines must be bytes");
            goto done;
        }
        const char *data = PyBytes_AS_STRING(line);
        Py_ssize_t length = PyBytes_GET_SIZE(line);
        Py_ssize_t fields = ct_field_starts(data, length, starts, width);
        if (fields != width) {
            set_failed(failed, FAILED_WIDTH, fields);
            PyErr_SetString(PyExc_ValueError, "a row's field count differs from the table's");
            goto done;
        }
        if (lazy_row != Py_None)
            row_set_line(lazy_row, line, starts);
        int changed_line = 0;
        for (Py_ssize_t s = 0; s < nslots; s++) {
            Slot *slot = &slots[s];
            const char *raw = data + starts[slot->position];
            Py_ssize_t raw_length = starts[slot->position + 1] - 1 - starts[slot->position];
            if (raw_length == 2 && raw[0] == '\\' && raw[1] == 'N') {
                slot->counts[2]++;
                continue;
            }
            value = ct_decode(raw, raw_length);
            if (value == NULL)
                goto done;
            if (slot->memo != Py_None) { /* a value met before: its fake, without calling into Python */
                new = PyDict_GetItemWithError(slot->memo, value);
                if (new != NULL)
                    Py_INCREF(new);
                else if (PyErr_Occurred())
                    goto done;
            }
            if (new == NULL) {
                PyObject *call[2] = {value, row_arg};
                new = PyObject_Vectorcall(slot->transform, call, 2, NULL);
                if (new == NULL) {
                    set_failed(failed, FAILED_TRANSFORM, s);
                    goto done;
                }
            }
            slot->counts[0]++;
            int same = PyObject_RichCompareBool(new, value, Py_EQ);
            if (same < 0)
                goto done;
            Py_ssize_t written_length = raw_length;
            if (!same) {
                slot->counts[1]++;
                PyObject *written = ct_encode(new);
                if (written == NULL)
                    goto done;
                if (!PyBytes_Check(written)) {
                    Py_DECREF(written);
                    PyErr_SetString(PyExc_TypeError, "encode_field must return bytes");
                    goto done;
                }
                Py_XSETREF(replaced[slot->position], written);
                written_length = PyBytes_GET_SIZE(written);
                changed_line = 1;
            }
            if (leak_check && slot->scan_index >= 0 && new != Py_None && written_length >= 2 &&
                scan_inline(&leaks, new, slot->is_json, slot->scan_index, &json_keys) < 0)
                goto done;
            int unchanged = 0;
            if (leak_check && slot->mode == MODE_WHOLE)
                unchanged = record_whole(&leaks, value, new, slot->identifying, slot->origin);
            else if (leak_check && slot->mode == MODE_PIECES)
                unchanged = record_pieces(&leaks, slot->leak_values, value, new, slot->is_json, slot->origin,
                                         &json_keys);
            else if (leak_check && slot->mode == MODE_WHOLE_IF_DIGIT)
                unchanged = has_decimal(value) ? record_whole(&leaks, value, new, slot->identifying, slot->origin) : 0;
            else if (leak_check && slot->mode == MODE_WHOLE_VALUE_OR_NOTHING) {
                PyObject *found = PyObject_CallOneArg(slot->leak_values, value);
                PyObject *items = found == NULL ? NULL : PySequence_Tuple(found);
                Py_XDECREF(found);
                if (items == NULL)
                    goto done;
                unchanged = PyTuple_GET_SIZE(items) ?
                    record_whole(&leaks, PyTuple_GET_ITEM(items, 0), new, slot->identifying, slot->origin) : 0;
                Py_DECREF(items);
            }
            else if (leak_check && slot->mode == MODE_WHOLE_ITEM_OR_NOTHING)
                unchanged = record_first_item(&leaks, slot->leak_values, value, new, slot->origin);
            if (unchanged < 0)
                goto done;
            slot->counts[3] += unchanged;
            Py_CLEAR(value);
            Py_CLEAR(new);
            Py_CLEAR(json_keys);
        }
        if (changed_line) {
            Py_ssize_t size = width - 1;
            for (Py_ssize_t k = 0; k < width; k++)
                size += replaced[k] ? PyBytes_GET_SIZE(replaced[k]) : starts[k + 1] - 1 - starts[k];
            PyObject *joined = PyBytes_FromStringAndSize(NULL, size);
            if (joined == NULL)
                goto done;
            char *out = PyBytes_AS_STRING(joined);
            for (Py_ssize_t k = 0; k < width; k++) {
                if (k)
                    *out++ = '\t';
                if (replaced[k]) {
                    memcpy(out, PyBytes_AS_STRING(replaced[k]), PyBytes_GET_SIZE(replaced[k]));
                    out += PyBytes_GET_SIZE(replaced[k]);
                    Py_CLEAR(replaced[k]);
                }
                else {
                    Py_ssize_t n = starts[k + 1] - 1 - starts[k];
                    memcpy(out, data + starts[k], n);
                    out += n;
                }
            }
            PyList_SetItem(lines, i, joined); /* releases the source line: `data` is not read after this */
        }
    }

    PyObject *counts = PyList_New(nslots);
    if (counts == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < nslots; s++) {
        PyObject *c = Py_BuildValue("[nnnn]", slots[s].counts[0], slots[s].counts[1], slots[s].counts[2],
                                    slots[s].counts[3]);
        if (c == NULL) {
            Py_DECREF(counts);
            goto done;
        }
        PyList_SET_ITEM(counts, s, c);
    }
    result = Py_BuildValue("(NNNNNnNNN)", counts, buffer_bytes(&leaks.hashes[1]), buffer_bytes(&leaks.hashes[0]),
                           buffer_bytes(&leaks.inline_hashes), buffer_bytes(&leaks.inline_positions),
                           leaks.inline_values, buffer_bytes(&leaks.origins), buffer_bytes(&leaks.ids),
                           buffer_bytes(&leaks.id_origins));

done:
    Py_XDECREF(value);
    Py_XDECREF(new);
    Py_XDECREF(json_keys);
    if (replaced != NULL) {
        for (Py_ssize_t k = 0; k < width; k++)
            Py_XDECREF(replaced[k]);
        PyMem_Free(replaced);
    }
    PyMem_Free(starts);
    free_slots(slots, nslots);
    PyMem_Free(leaks.hashes[0].data);
    PyMem_Free(leaks.hashes[1].data);
    PyMem_Free(leaks.inline_hashes.data);
    PyMem_Free(leaks.inline_positions.data);
    PyMem_Free(leaks.origins.data);
    PyMem_Free(leaks.ids.data);
    PyMem_Free(leaks.id_origins.data);
    return result;
}
