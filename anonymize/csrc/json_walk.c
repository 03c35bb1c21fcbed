/* json_paths.JsonPaths.transform's walk of the string and integer leaves no path rule covers (`_rewrite_leaves`
 * with its `rest` callback), over the document json.loads made, changed in place as the Python walk changes it.
 *
 * What it saves: a Python call per container and per leaf, and, for the strings free text already answered with
 * "nothing here" (FreeText._spans holds an empty answer for (text, key context) at the detector's current
 * generation), the call of FreeText.transform_in, which would give the string back as it is (cut to max_length).
 * Everything else is the Python code's own: a leaf's key context comes from json_paths._TRAIL_CONTEXTS or
 * json_paths._context, JSON held in a string from _held_document / _encode, other strings from transform_in or
 * the transform. The leaves the leak check reads (`leaves`) are those `rest` records, less the ones that cannot
 * give it anything: integers not under an id key, and strings whose empty answer was read from the memo, not
 * under an id key (JsonPaths.leak_items reads them only while the detector's generation is the one passed here). */
#include "speedups.h"

typedef struct {
    PyObject *covered;      /* set of trails path rules reached */
    PyObject *ignored;      /* callable(trail) -> bool (ignore_keys), or None */
    PyObject *contexts;     /* json_paths._TRAIL_CONTEXTS */
    PyObject *context_of;   /* json_paths._context */
    PyObject *leaves;       /* list of (trail, node, context) for leak_items */
    PyObject *transform_in; /* FreeText.transform_in, or None (then `transform`) */
    PyObject *transform;    /* other_strings' transform(value, row) */
    PyObject *row;
    PyObject *ids;
    PyObject *memo;       /* FreeText._spans, or None: no answer read from it */
    PyObject *stamp;      /* the detector's stamp: its `generation` must stay `generation` */
    PyObject *generation; /* as of the call */
    PyObject *held;       /* json_paths._held_document */
    PyObject *encode;     /* json_paths._encode */
    PyObject *marker;     /* json_paths._DECODED */
    Py_ssize_t memo_max;  /* free_text.MEMO_MAX_LENGTH */
    Py_ssize_t max_length; /* FreeText.max_length, or -1 */
    /* The detector's generation was found equal to `generation` and no Python code has run since (every callback
     * below clears it): only Python code can move it, so memo_answer needn't read it again. */
    int generation_same;
} Walk;

static PyObject *generation_name;

static int
is_id_context(PyObject *context)
{
    return PyUnicode_Check(context) && PyUnicode_CompareWithASCIIString(context, "id") == 0;
}

static PyObject *
trail_plus(PyObject *trail, PyObject *step)
{
    Py_ssize_t size = PyTuple_GET_SIZE(trail);
    PyObject *out = PyTuple_New(size + 1);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = PyTuple_GET_ITEM(trail, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(out, i, item);
    }
    Py_INCREF(step);
    PyTuple_SET_ITEM(out, size, step);
    return out;
}

/* Can `text` hold a JSON document (json_paths._may_hold: its first character after Unicode whitespace, as
 * str.lstrip strips it, is '{' or '[')? When not, _held_document(text) is None without a call: most strings that
 * fail plain_start are phones ("+1 ..."), amounts, punctuation. */
static int
may_hold(PyObject *text)
{
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!Py_UNICODE_ISSPACE(c))
            return c == '{' || c == '[';
    }
    return 0;
}

static int
append_leaf(Walk *walk, PyObject *trail, PyObject *node, PyObject *context)
{
    PyObject *item = PyTuple_Pack(3, trail, node, context);
    if (item == NULL)
        return -1;
    int failed = PyList_Append(walk->leaves, item);
    Py_DECREF(item);
    return failed;
}

/* FreeText.transform_in's answer when its memo says (text, context) holds nothing: the text cut to max_length; NULL
 * without an error when the memo can't say. */
static PyObject *
memo_answer(Walk *walk, PyObject *text, PyObject *context)
{
    if (walk->memo == Py_None || PyUnicode_GET_LENGTH(text) > walk->memo_max)
        return NULL;
    if (!walk->generation_same) {
        PyObject *now = PyObject_GetAttr(walk->stamp, generation_name);
        if (now == NULL)
            return NULL;
        int same = PyObject_RichCompareBool(now, walk->generation, Py_EQ);
        Py_DECREF(now);
        if (same != 1) {
            if (same < 0)
                return NULL;
            Py_SETREF(walk->memo, Py_NewRef(Py_None)); /* moved on: FreeText forgets its memo, ask it from now on */
            return NULL;
        }
        walk->generation_same = 1;
    }
    PyObject *key = PyTuple_Pack(2, text, context);
    if (key == NULL)
        return NULL;
    PyObject *spans = PyDict_GetItemWithError(walk->memo, key);
    Py_DECREF(key);
    if (spans == NULL)
        return NULL;
    Py_ssize_t count = PyObject_Length(spans);
    if (count != 0) {
        if (count < 0)
            return NULL;
        return NULL;
    }
    if (walk->max_length >= 0 && PyUnicode_GET_LENGTH(text) > walk->max_length)
        return PyUnicode_Substring(text, 0, walk->max_length);
    return Py_NewRef(text);
}

/* `rest(node, trail)` of JsonPaths.transform. */
static PyObject *
visit_leaf(Walk *walk, PyObject *node, PyObject *trail)
{
    int is_text = PyUnicode_Check(node);
    if (!is_text && !PyLong_Check(node))
        return Py_NewRef(node);
    if (PySet_GET_SIZE(walk->covered)) {
        int covered = PySet_Contains(walk->covered, trail);
        if (covered != 0)
            return covered < 0 ? NULL : Py_NewRef(node);
    }
    if (walk->ignored != Py_None) {
        walk->generation_same = 0;
        PyObject *answer = PyObject_CallOneArg(walk->ignored, trail);
        if (answer == NULL)
            return NULL;
        int ignored = PyObject_IsTrue(answer);
        Py_DECREF(answer);
        if (ignored != 0)
            return ignored < 0 ? NULL : Py_NewRef(node);
    }
    PyObject *context = PyDict_GetItemWithError(walk->contexts, trail);
    if (context != NULL)
        Py_INCREF(context);
    else if (PyErr_Occurred())
        return NULL;
    else {
        walk->generation_same = 0;
        if ((context = PyObject_CallOneArg(walk->context_of, trail)) == NULL)
            return NULL;
    }
    PyObject *out = NULL;
    int id_context = is_id_context(context);
    if (!is_text) {
        out = (!id_context || append_leaf(walk, trail, node, context) == 0) ? Py_NewRef(node) : NULL;
    }
    else if (walk->transform_in != Py_None) {
        out = memo_answer(walk, node, context);
        if (out != NULL) {
            if (id_context && append_leaf(walk, trail, node, context) < 0)
                Py_CLEAR(out);
        }
        else if (!PyErr_Occurred() && append_leaf(walk, trail, node, context) == 0) {
            walk->generation_same = 0;
            PyObject *args[] = {node, context, walk->row, walk->ids};
            out = PyObject_Vectorcall(walk->transform_in, args, 4, NULL);
        }
    }
    else if (append_leaf(walk, trail, node, context) == 0) {
        walk->generation_same = 0;
        PyObject *args[] = {node, walk->row};
        out = PyObject_Vectorcall(walk->transform, args, 2, NULL);
    }
    Py_DECREF(context);
    return out;
}

static PyObject *visit(Walk *walk, PyObject *node, PyObject *trail);

/* One child of a container: `_rewrite_leaves`' loop body. Returns the child's new value (a new reference). */
static PyObject *
visit_child(Walk *walk, PyObject *child, PyObject *step, PyObject *trail)
{
    PyObject *child_trail = trail_plus(trail, step);
    if (child_trail == NULL)
        return NULL;
    PyObject *out;
    if (PyDict_Check(child) || PyList_Check(child) || (PyUnicode_Check(child) && may_hold(child))) {
        /* As deep as the Python walk's recursion may go (a RecursionError, not a C stack overflow) */
        if (Py_EnterRecursiveCall(" in a JSON document's walk")) {
            Py_DECREF(child_trail);
            return NULL;
        }
        out = visit(walk, child, child_trail);
        Py_LeaveRecursiveCall();
    }
    else
        out = visit_leaf(walk, child, child_trail);
    Py_DECREF(child_trail);
    return out;
}

/* `_rewrite_leaves(node, trail, rest)`. */
static PyObject *
visit(Walk *walk, PyObject *node, PyObject *trail)
{
    if (PyDict_Check(node)) {
        Py_ssize_t position = 0;
        PyObject *key, *child;
        /* Values of existing keys only are set: the iteration stays valid (as the Python loop's does). */
        while (PyDict_Next(node, &position, &key, &child)) {
            Py_INCREF(key);
            Py_INCREF(child);
            PyObject *out = visit_child(walk, child, key, trail);
            int failed = out == NULL || (out != child && PyDict_SetItem(node, key, out) < 0);
            Py_XDECREF(out);
            Py_DECREF(child);
            Py_DECREF(key);
            if (failed)
                return NULL;
        }
        return Py_NewRef(node);
    }
    if (PyList_Check(node)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(node); i++) {
            PyObject *child = Py_NewRef(PyList_GET_ITEM(node, i));
            PyObject *index = PyLong_FromSsize_t(i);
            PyObject *out = index == NULL ? NULL : visit_child(walk, child, index, trail);
            Py_XDECREF(index);
            Py_DECREF(child);
            if (out == NULL)
                return NULL;
            if (i >= PyList_GET_SIZE(node)) { /* a callback shortened the list: Python's loop would stop too */
                Py_DECREF(out);
                break;
            }
            PyList_SetItem(node, i, out); /* steals out */
        }
        return Py_NewRef(node);
    }
    walk->generation_same = 0; /* _held_document and _encode below are Python */
    PyObject *decoded = PyObject_CallOneArg(walk->held, node);
    if (decoded == NULL)
        return NULL;
    if (decoded == Py_None) {
        Py_DECREF(decoded);
        return visit_leaf(walk, node, trail);
    }
    PyObject *inner_trail = trail_plus(trail, walk->marker);
    PyObject *inner = inner_trail == NULL ? NULL : visit(walk, decoded, inner_trail);
    Py_XDECREF(inner_trail);
    Py_DECREF(decoded);
    if (inner == NULL)
        return NULL;
    walk->generation_same = 0;
    PyObject *out = PyObject_CallFunctionObjArgs(walk->encode, inner, node, NULL);
    Py_DECREF(inner);
    return out;
}

PyObject *
py_json_rest(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 18) {
        PyErr_SetString(PyExc_TypeError, "json_rest takes 18 arguments");
        return NULL;
    }
    if (generation_name == NULL && (generation_name = PyUnicode_InternFromString("generation")) == NULL)
        return NULL;
    Walk walk = {
        .covered = args[1], .ignored = args[2], .contexts = args[3], .context_of = args[4], .leaves = args[5],
        .transform_in = args[6], .transform = args[7], .row = args[8], .ids = args[9], .memo = args[10],
        .stamp = args[11], .generation = args[12], .held = args[13], .encode = args[14], .marker = args[15],
    };
    walk.memo_max = PyLong_AsSsize_t(args[16]);
    walk.max_length = args[17] == Py_None ? -1 : PyLong_AsSsize_t(args[17]);
    if (PyErr_Occurred())
        return NULL;
    if (!PyAnySet_Check(walk.covered) || !PyDict_Check(walk.contexts) || !PyList_Check(walk.leaves) ||
        (walk.memo != Py_None && !PyDict_Check(walk.memo))) {
        PyErr_SetString(PyExc_TypeError, "json_rest: covered must be a set, contexts and memo dicts, leaves a list");
        return NULL;
    }
    Py_INCREF(walk.memo); /* memo_answer may let go of it */
    PyObject *trail = PyTuple_New(0);
    PyObject *out = trail == NULL ? NULL : visit(&walk, args[0], trail);
    Py_XDECREF(trail);
    Py_DECREF(walk.memo);
    return out;
}

/* ---- path rules: JsonPaths.transform's loop over its plan, `_may_reach` and `_rewrite` ---------------------------
 * A rule's steps come as a tuple of (code, key): code 0 a key, 1 an index, 2 anything else (a wildcard, a
 * recursive descent), which `_rewrite_steps` (Python) takes from there, as it does a string met on the way. */

enum { STEP_KEY = 0, STEP_INDEX = 1 };

static int
step_code(PyObject *step, PyObject **key)
{
    *key = PyTuple_GET_ITEM(step, 1);
    return (int)PyLong_AsLong(PyTuple_GET_ITEM(step, 0));
}

/* The list index a step names in `node`, or -1 when out of range. */
static Py_ssize_t
list_slot(PyObject *node, PyObject *key)
{
    Py_ssize_t index = PyLong_AsSsize_t(key), size = PyList_GET_SIZE(node);
    if (index == -1 && PyErr_Occurred())
        return -2;
    if (index < -size || index >= size)
        return -1;
    return index < 0 ? index + size : index;
}

/* `_may_reach(node, steps)`: 1, 0, or -1 on an error. */
static int
may_reach(PyObject *node, PyObject *steps)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(steps); i++) {
        PyObject *key;
        int code = step_code(PyTuple_GET_ITEM(steps, i), &key);
        if (code == STEP_KEY) {
            if (!PyDict_Check(node))
                return PyUnicode_Check(node);
            node = PyDict_GetItemWithError(node, key);
            if (node == NULL)
                return PyErr_Occurred() ? -1 : 0;
        }
        else if (code == STEP_INDEX) {
            if (!PyList_Check(node))
                return PyUnicode_Check(node);
            Py_ssize_t slot = list_slot(node, key);
            if (slot < 0)
                return slot == -1 ? 0 : -1;
            node = PyList_GET_ITEM(node, slot);
        }
        else
            return 1;
    }
    return 1;
}

typedef struct {
    PyObject *leaf;          /* leaf(node, trail) */
    PyObject *rewrite_steps; /* json_paths._rewrite_steps */
    PyObject *current;       /* [the rule being walked]: (sub, refs, in_context, keep, call) */
    /* The leaf's own state, for the leaves done here (fast_leaf), or NULL: the Python leaf does them all. */
    PyObject *covered;     /* set of trails path rules reached */
    PyObject *kept;        /* set of trails ruled keep */
    PyObject *found;       /* list of (trail, sub, text, is_string) */
    PyObject *faithful;    /* [bool]: False once a trail is met twice or a fake reads as a JSON document */
    PyObject *row;         /* the row the subs read */
    PyObject *scalar_text; /* json_paths._scalar_text, for a value of another type than JSON's */
    PyObject *back;        /* json_paths._back, likewise */
} Rewrite;

static PyObject *true_text, *false_text, *nan_text, *inf_text, *minus_inf_text;

/* json_paths._scalar_text(node) for JSON's scalar types (NULL without an error for None: no text); else the Python
 * function. json.dumps of an int is int's repr, of a float float's repr or NaN / Infinity / -Infinity. */
static PyObject *
scalar_text(Rewrite *rewrite, PyObject *node)
{
    if (node == Py_None)
        return NULL;
    if (PyUnicode_CheckExact(node))
        return Py_NewRef(node);
    if (PyBool_Check(node))
        return Py_NewRef(node == Py_True ? true_text : false_text);
    if (PyLong_CheckExact(node))
        return PyLong_Type.tp_repr(node);
    if (PyFloat_CheckExact(node)) {
        double x = PyFloat_AS_DOUBLE(node);
        if (Py_IS_NAN(x))
            return Py_NewRef(nan_text);
        if (Py_IS_INFINITY(x))
            return Py_NewRef(x > 0 ? inf_text : minus_inf_text);
        return PyFloat_Type.tp_repr(node);
    }
    PyObject *text = PyObject_CallOneArg(rewrite->scalar_text, node);
    if (text == Py_None) {
        Py_DECREF(text);
        return NULL;
    }
    return text;
}

/* json_paths._back(original, text) for JSON's scalar types and a text that is a str; else the Python function. */
static PyObject *
back(Rewrite *rewrite, PyObject *original, PyObject *text)
{
    if (text == Py_None || PyUnicode_CheckExact(original))
        return Py_NewRef(text);
    if (!PyUnicode_CheckExact(text)) {
        PyObject *args[] = {original, text};
        return PyObject_Vectorcall(rewrite->back, args, 2, NULL);
    }
    if (PyBool_Check(original)) { /* {"true": True, "false": False}.get(text, text) */
        if (PyUnicode_CompareWithASCIIString(text, "true") == 0)
            return Py_NewRef(Py_True);
        if (PyUnicode_CompareWithASCIIString(text, "false") == 0)
            return Py_NewRef(Py_False);
        return Py_NewRef(text);
    }
    if (PyLong_CheckExact(original) || PyFloat_CheckExact(original)) { /* int(text) / float(text), else text */
        PyObject *out = PyLong_CheckExact(original) ? PyLong_FromUnicodeObject(text, 10) : PyFloat_FromString(text);
        if (out == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
            PyErr_Clear();
            return Py_NewRef(text);
        }
        return out;
    }
    PyObject *args[] = {original, text};
    return PyObject_Vectorcall(rewrite->back, args, 2, NULL);
}

/* `new.lstrip()[:1] in ("{", "[")` for a str. */
static int
reads_as_document(PyObject *text)
{
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < size; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(text, i);
        if (!Py_UNICODE_ISSPACE(c))
            return c == '{' || c == '[';
    }
    return 0;
}

/* The row a rule's sub reads, with each document ref (`live`: ((ref, key), ...), refs of one key beside the value)
 * read from the leaf's own container `parent` as `_with_live_refs` reads it there: the key missing, or holding an
 * object or array: None; else its text. A new dict; NULL without an error when a ref can't be read here
 * (`_live_ref`'s _NOT_LIVE: the container is no object, the key is a trail a rule reached, the leaf's own included,
 * or its string may hold JSON), then the Python leaf reads them from the document as it came in. */
static PyObject *
live_row(Rewrite *rewrite, PyObject *live, PyObject *parent, PyObject *slot, PyObject *trail)
{
    if (parent == NULL || !PyDict_Check(parent))
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(live);
    PyObject *texts[8];
    if (count > 8)
        return NULL; /* more refs than a rule names: the Python leaf */
    Py_ssize_t done = 0;
    int failed = 0, not_live = 0;
    for (; done < count; done++) {
        PyObject *pair = PyTuple_GET_ITEM(live, done);
        PyObject *key = PyTuple_GET_ITEM(pair, 1);
        PyObject *value = PyDict_GetItemWithError(parent, key);
        if (value == NULL || PyDict_Check(value) || PyList_Check(value)) {
            if (PyErr_Occurred()) {
                failed = 1;
                break;
            }
            texts[done] = Py_NewRef(Py_None);
            continue;
        }
        /* The leaf's own key: `_live_ref` finds its trail covered (the Python leaf adds it first) and reads the
         * source; the live value is still the source's there (the leaf is not replaced yet), but the same call
         * keeps the two leaves' decisions alike. */
        if ((PyUnicode_Check(value) && may_hold(value)) ||
            (PyUnicode_Check(slot) && PyUnicode_Compare(slot, key) == 0)) {
            not_live = 1;
            break;
        }
        PyObject *where = PyTuple_GetSlice(trail, 0, PyTuple_GET_SIZE(trail) - 1);
        if (where != NULL)
            Py_SETREF(where, trail_plus(where, key));
        int covered = where == NULL ? -1 : PySet_Contains(rewrite->covered, where);
        Py_XDECREF(where);
        if (covered != 0) {
            failed = covered < 0;
            not_live = covered > 0;
            break;
        }
        PyObject *text = scalar_text(rewrite, value);
        if (text == NULL && PyErr_Occurred()) {
            failed = 1;
            break;
        }
        texts[done] = text == NULL ? Py_NewRef(Py_None) : text;
    }
    PyObject *row = NULL;
    if (!failed && !not_live) {
        row = PyDict_New();
        if (row != NULL && PyDict_Merge(row, rewrite->row, 1) < 0) /* dict(row) */
            Py_CLEAR(row);
        for (Py_ssize_t i = 0; row != NULL && i < count; i++)
            if (PyDict_SetItem(row, PyTuple_GET_ITEM(PyTuple_GET_ITEM(live, i), 0), texts[i]) < 0)
                Py_CLEAR(row);
    }
    for (Py_ssize_t i = 0; i < done; i++)
        Py_DECREF(texts[i]);
    return row;
}

/* JsonPaths.transform's `leaf(node, trail)` for a rule whose document refs, if any, are keys beside the value
 * (live_row) and whose leaf is not a string read in the context of its key (those go to the Python leaf), on a
 * scalar of JSON's types: the same bookkeeping (covered, kept, found, faithful) and the same new value. A `keep`
 * leaf is the node itself: Keep.transform gives its text back, and _back(node, its text) is equal to node and
 * encodes as node does (int(repr(i)) == i, float(repr(x)) and NaN / Infinity round-trip). `parent` and `slot`: the
 * container holding the leaf and its key there (parent NULL at the top). NULL with an error, or NULL without one:
 * not done here, ask the Python leaf. */
static PyObject *
fast_leaf(Rewrite *rewrite, PyObject *node, PyObject *trail, PyObject *parent, PyObject *slot)
{
    PyObject *rule = PyList_GET_ITEM(rewrite->current, 0);
    if (!PyTuple_Check(rule) || PyTuple_GET_SIZE(rule) != 6)
        return NULL;
    PyObject *sub = PyTuple_GET_ITEM(rule, 0), *refs = PyTuple_GET_ITEM(rule, 1), *live = PyTuple_GET_ITEM(rule, 5);
    int is_text = PyUnicode_Check(node);
    int in_context = PyObject_IsTrue(PyTuple_GET_ITEM(rule, 2));
    int keep = PyObject_IsTrue(PyTuple_GET_ITEM(rule, 3));
    if (in_context < 0 || keep < 0)
        return NULL;
    if (!PyList_Check(refs) || (in_context && is_text))
        return NULL;
    int has_refs = PyList_GET_SIZE(refs) != 0;
    if (has_refs && (!PyTuple_Check(live) || PyTuple_GET_SIZE(live) != PyList_GET_SIZE(refs)))
        return NULL;
    if (!(node == Py_None || PyUnicode_CheckExact(node) || PyBool_Check(node) || PyLong_CheckExact(node) ||
          PyFloat_CheckExact(node)))
        return NULL;
    PyObject *row = rewrite->row;
    if (has_refs && node != Py_None) { /* a None leaf reads no ref: its new value is None */
        if ((row = live_row(rewrite, live, parent, slot, trail)) == NULL)
            return NULL;
    }
    else
        Py_INCREF(row);
    PyObject *new = NULL;
    int met = PySet_Contains(rewrite->covered, trail);
    if (met < 0 || (met && PyList_SetItem(rewrite->faithful, 0, Py_NewRef(Py_False)) < 0))
        goto done;
    if (PySet_Add(rewrite->covered, trail) < 0 || (keep && PySet_Add(rewrite->kept, trail) < 0))
        goto done;
    PyObject *text = scalar_text(rewrite, node);
    if (text == NULL) {
        if (!PyErr_Occurred())
            new = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *item = PyTuple_Pack(4, trail, sub, text, is_text ? Py_True : Py_False);
    if (item == NULL || PyList_Append(rewrite->found, item) < 0) {
        Py_XDECREF(item);
        Py_DECREF(text);
        goto done;
    }
    Py_DECREF(item);
    if (keep)
        new = Py_NewRef(node);
    else {
        PyObject *args[] = {text, row};
        PyObject *fake = PyObject_Vectorcall(PyTuple_GET_ITEM(rule, 4), args, 2, NULL);
        new = fake == NULL ? NULL : back(rewrite, node, fake);
        Py_XDECREF(fake);
    }
    Py_DECREF(text);
    if (new != NULL && PyUnicode_Check(new) && reads_as_document(new) &&
        PyList_SetItem(rewrite->faithful, 0, Py_NewRef(Py_False)) < 0)
        Py_CLEAR(new);
done:
    Py_DECREF(row);
    return new;
}

/* `_rewrite_steps(node, rest, trail, leaf)` when `rest` is empty and node a scalar that can't hold JSON: the leaf
 * itself (what `_rewrite_leaves` does with it; in C when fast_leaf can); else the Python function. */
static PyObject *
rewrite_from(Rewrite *rewrite, PyObject *node, PyObject *steps, Py_ssize_t position, PyObject *trail,
             PyObject *parent, PyObject *slot)
{
    Py_ssize_t count = PyTuple_GET_SIZE(steps);
    if (position == count && !PyDict_Check(node) && !PyList_Check(node) &&
        (!PyUnicode_Check(node) || !may_hold(node))) {
        if (rewrite->covered != NULL) {
            PyObject *out = fast_leaf(rewrite, node, trail, parent, slot);
            if (out != NULL || PyErr_Occurred())
                return out;
        }
        PyObject *args[] = {node, trail};
        return PyObject_Vectorcall(rewrite->leaf, args, 2, NULL);
    }
    PyObject *rest = PyTuple_GetSlice(steps, position, count);
    if (rest == NULL)
        return NULL;
    PyObject *args[] = {node, rest, trail, rewrite->leaf};
    PyObject *out = PyObject_Vectorcall(rewrite->rewrite_steps, args, 4, NULL);
    Py_DECREF(rest);
    return out;
}

/* `_rewrite(document, steps, (), leaf)`. The Python steps object `python_steps` is what `_rewrite_steps` is handed
 * (its Step tuples), `steps` their codes. */
static PyObject *
rewrite(Rewrite *rewrite, PyObject *document, PyObject *steps, PyObject *python_steps)
{
    PyObject *node = document, *parent = NULL, *slot = NULL;
    PyObject *trail = PyTuple_New(0);
    if (trail == NULL)
        return NULL;
    Py_ssize_t position = 0;
    for (; position < PyTuple_GET_SIZE(steps); position++) {
        PyObject *key, *next;
        int code = step_code(PyTuple_GET_ITEM(steps, position), &key);
        if (code == STEP_KEY && PyDict_Check(node)) {
            next = PyDict_GetItemWithError(node, key);
            if (next == NULL) {
                Py_DECREF(trail);
                Py_XDECREF(slot);
                return PyErr_Occurred() ? NULL : Py_NewRef(document);
            }
            Py_XSETREF(slot, Py_NewRef(key));
        }
        else if (code == STEP_INDEX && PyList_Check(node)) {
            Py_ssize_t index = list_slot(node, key);
            if (index < 0) {
                Py_DECREF(trail);
                Py_XDECREF(slot);
                return index == -1 ? Py_NewRef(document) : NULL;
            }
            next = PyList_GET_ITEM(node, index);
            Py_XSETREF(slot, PyLong_FromSsize_t(index));
            if (slot == NULL) {
                Py_DECREF(trail);
                return NULL;
            }
        }
        else
            break;
        Py_SETREF(trail, trail_plus(trail, slot));
        if (trail == NULL) {
            Py_DECREF(slot);
            return NULL;
        }
        parent = node;
        node = next;
    }
    /* node and parent stay alive: the document holds them until the one slot below is set. */
    PyObject *out = rewrite_from(rewrite, node, python_steps, position, trail, parent, slot);
    Py_DECREF(trail);
    if (out == NULL || parent == NULL) {
        Py_XDECREF(slot);
        return out;
    }
    int failed = PyDict_Check(parent) ? PyDict_SetItem(parent, slot, out) :
                                        PyList_SetItem(parent, PyLong_AsSsize_t(slot), Py_NewRef(out));
    Py_DECREF(out);
    Py_DECREF(slot);
    return failed < 0 ? NULL : Py_NewRef(document);
}

/* JsonPaths.transform's `for ... in self._plan: if _may_reach(...): rule = ...; document = _rewrite(...)`. */
PyObject *
py_json_rules(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if ((nargs != 6 && nargs != 7) || !PyTuple_Check(args[1]) || !PyList_Check(args[2]) ||
        PyList_GET_SIZE(args[2]) != 1 || !PyTuple_Check(args[3]) ||
        PyTuple_GET_SIZE(args[3]) != PyTuple_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "json_rules(document, plan: tuple, current: [rule], rules: tuple, leaf, "
                                         "rewrite_steps[, leaf_state])");
        return NULL;
    }
    PyObject *plan = args[1], *current = args[2], *rules = args[3];
    Rewrite state = {.leaf = args[4], .rewrite_steps = args[5], .current = current};
    if (nargs == 7 && args[6] != Py_None) {
        /* leaf_state: (covered, kept, found, faithful, row, scalar_text, back), what the Python leaf reads */
        PyObject *leaf_state = args[6];
        if (!PyTuple_Check(leaf_state) || PyTuple_GET_SIZE(leaf_state) != 7 ||
            !PySet_Check(PyTuple_GET_ITEM(leaf_state, 0)) || !PySet_Check(PyTuple_GET_ITEM(leaf_state, 1)) ||
            !PyList_Check(PyTuple_GET_ITEM(leaf_state, 2)) || !PyList_Check(PyTuple_GET_ITEM(leaf_state, 3)) ||
            PyList_GET_SIZE(PyTuple_GET_ITEM(leaf_state, 3)) != 1) {
            PyErr_SetString(PyExc_TypeError, "json_rules: leaf_state is (covered: set, kept: set, found: list, "
                                             "faithful: [bool], row, scalar_text, back)");
            return NULL;
        }
        if (true_text == NULL) {
            true_text = PyUnicode_InternFromString("true");
            false_text = PyUnicode_InternFromString("false");
            nan_text = PyUnicode_InternFromString("NaN");
            inf_text = PyUnicode_InternFromString("Infinity");
            minus_inf_text = PyUnicode_InternFromString("-Infinity");
            if (!true_text || !false_text || !nan_text || !inf_text || !minus_inf_text)
                return NULL;
        }
        state.covered = PyTuple_GET_ITEM(leaf_state, 0);
        state.kept = PyTuple_GET_ITEM(leaf_state, 1);
        state.found = PyTuple_GET_ITEM(leaf_state, 2);
        state.faithful = PyTuple_GET_ITEM(leaf_state, 3);
        state.row = PyTuple_GET_ITEM(leaf_state, 4);
        state.scalar_text = PyTuple_GET_ITEM(leaf_state, 5);
        state.back = PyTuple_GET_ITEM(leaf_state, 6);
    }
    PyObject *document = Py_NewRef(args[0]);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(plan); i++) {
        /* plan[i]: (codes, python steps); rules[i]: what the leaf reads of its rule, put in current[0] */
        PyObject *entry = PyTuple_GET_ITEM(plan, i);
        PyObject *codes = PyTuple_GET_ITEM(entry, 0);
        int reach = may_reach(document, codes);
        if (reach < 0) {
            Py_DECREF(document);
            return NULL;
        }
        if (!reach)
            continue;
        if (PyList_SetItem(current, 0, Py_NewRef(PyTuple_GET_ITEM(rules, i))) < 0) {
            Py_DECREF(document);
            return NULL;
        }
        Py_SETREF(document, rewrite(&state, document, codes, PyTuple_GET_ITEM(entry, 1)));
        if (document == NULL)
            return NULL;
    }
    return document;
}

/* ---- A parsed JSON value's string leaves, in document order, each handed to `visit(out, text)` ---------------- */
typedef int (*StringVisit)(PyObject *out, PyObject *text);

static int
visit_strings(PyObject *node, StringVisit visit, PyObject *out)
{
    if (Py_EnterRecursiveCall(" in a JSON value's string leaves"))
        return -1;
    int failed = 0;
    if (PyDict_Check(node)) {
        Py_ssize_t position = 0;
        PyObject *key, *item;
        while (!failed && PyDict_Next(node, &position, &key, &item)) {
            if (PyUnicode_Check(item))
                failed = visit(out, item);
            else if (PyDict_Check(item) || PyList_Check(item))
                failed = visit_strings(item, visit, out);
        }
    }
    else {
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(node); i++) {
            PyObject *item = PyList_GET_ITEM(node, i);
            if (PyUnicode_Check(item))
                failed = visit(out, item);
            else if (PyDict_Check(item) || PyList_Check(item))
                failed = visit_strings(item, visit, out);
        }
    }
    Py_LeaveRecursiveCall();
    return failed;
}

/* A new list `visit` filled from `node`: a string is its own one leaf, a dict or list its string leaves. */
static PyObject *
strings_visited(PyObject *node, StringVisit visit)
{
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    int failed = PyUnicode_Check(node) ? visit(out, node) :
                 (PyDict_Check(node) || PyList_Check(node)) ? visit_strings(node, visit, out) : 0;
    if (failed) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* leak_keys._json_strings: the string leaves of a parsed JSON value, in document order. */
PyObject *
py_json_strings(PyObject *module, PyObject *node)
{
    return strings_visited(node, PyList_Append);
}

/* leak_keys.output_keys of a JSON output from its document: `_json_output_keys(_json_strings(node))`, the string
 * leaves' keys appended to one list as they are met, without the list of strings and a list per string. */
PyObject *
py_json_output_keys(PyObject *module, PyObject *node)
{
    return strings_visited(node, lk_append_text_output_keys);
}

/* ---- JsonPaths._items' loop over the path rules' leaves (`found`), the common kinds without a Python call each ---
 * A leaf of a sub of kind keep is handed to `_identifier` only when it can start `_ID_NUMBER` (an ASCII digit or
 * re.ASCII's whitespace); of kind silent, skipped; of kind plain, its (piece, identifying) pairs are read from the
 * memo (else `_plain_items`) and, when there are any and the sub's fake isn't recorded, given the origin
 * `_origin` memoized for (trail, sub.name, False, False) (else `_plain_pieces` does the leaf); of kind ask,
 * `_pieces(sub, trail, text, is_string, None)`. Every callback's items are appended to `out` in order. */

static PyObject *name_name;

static int
extend_with(PyObject *out, PyObject *items)
{
    if (items == NULL)
        return -1;
    int failed = 0;
    if (PyList_CheckExact(items)) {
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(items); i++)
            failed = PyList_Append(out, PyList_GET_ITEM(items, i));
    }
    else {
        PyObject *iterator = PyObject_GetIter(items), *item;
        if (iterator == NULL)
            failed = -1;
        while (!failed && iterator != NULL && (item = PyIter_Next(iterator)) != NULL) {
            failed = PyList_Append(out, item);
            Py_DECREF(item);
        }
        if (!failed && PyErr_Occurred())
            failed = -1;
        Py_XDECREF(iterator);
    }
    Py_DECREF(items);
    return failed;
}

/* `not text.strip()` */
static int
blank(PyObject *text)
{
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(text); i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, i)))
            return 0;
    return 1;
}

/* `_ID_NUMBER`'s possible first characters: an ASCII digit or ' ', \t, \n, \r, \f, \v. */
static int
id_first(PyObject *text)
{
    if (PyUnicode_GET_LENGTH(text) == 0)
        return 0;
    Py_UCS4 c = PyUnicode_READ_CHAR(text, 0);
    return (c >= '0' && c <= '9') || c == ' ' || (c >= '\t' && c <= '\r');
}

/* context.CARD_NETWORKS as C reads it (tests/anonymize/test_leak_items_native.py holds the two equal on every
 * range's bounds at every length): per network in the dict's order, its IIN ranges (compared on as many leading
 * digits as the bound has) and the lengths it issues, as a bit mask of 1 << length. */
typedef struct {
    long low, high;
    int width;
} IinRange;
static const struct {
    IinRange ranges[3];
    int count;
    unsigned lengths;
} card_networks[] = {
    {{{4, 4, 1}}, 1, 1u << 13 | 1u << 16 | 1u << 19},                                              /* visa */
    {{{51, 55, 2}, {2221, 2720, 4}}, 2, 1u << 16},                                                  /* mastercard */
    {{{34, 34, 2}, {37, 37, 2}}, 2, 1u << 15},                                                      /* amex */
    {{{6011, 6011, 4}, {644, 649, 3}, {65, 65, 2}}, 3, 1u << 16 | 1u << 17 | 1u << 18 | 1u << 19}, /* discover */
    {{{3528, 3589, 4}}, 1, 1u << 16 | 1u << 17 | 1u << 18 | 1u << 19},                             /* jcb */
    {{{36, 36, 2}, {300, 305, 3}, {38, 39, 2}}, 3, 1u << 14 | 1u << 15 | 1u << 16},                /* diners */
    {{{62, 62, 2}}, 1, 1u << 16 | 1u << 17 | 1u << 18 | 1u << 19},                                 /* unionpay */
};

/* context.is_card_number(digits) for `length` ASCII digits: a network's IIN range and length, and Luhn. */
static int
card_number(const char *digits, Py_ssize_t length)
{
    if (length < 13 || length > 19)
        return 0;
    int network = 0;
    for (size_t n = 0; !network && n < sizeof card_networks / sizeof card_networks[0]; n++) {
        if (!(card_networks[n].lengths & (1u << length)))
            continue;
        for (int r = 0; !network && r < card_networks[n].count; r++) {
            const IinRange *range = &card_networks[n].ranges[r];
            long prefix = 0;
            for (int k = 0; k < range->width; k++)
                prefix = prefix * 10 + (digits[k] - '0');
            network = range->low <= prefix && prefix <= range->high;
        }
    }
    if (!network)
        return 0;
    int total = 0; /* Luhn: from the right, the check digit as it is, every second one before it doubled */
    for (Py_ssize_t i = 0; i < length; i++) {
        int digit = digits[length - 1 - i] - '0';
        if (i % 2)
            digit = digit > 4 ? digit * 2 - 9 : digit * 2;
        total += digit;
    }
    return total % 10 == 0;
}

/* JsonPaths._identifier's test: does `text` fullmatch `_ID_NUMBER` (re.ASCII: \s*\d[\d \-]*\d\s*) with digits that
 * are a card number (13-19 of them, context.is_card_number)? */
static int
card_id(PyObject *text)
{
    if (!PyUnicode_IS_ASCII(text))
        return 0;
    const char *chars = (const char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t first = 0, end = PyUnicode_GET_LENGTH(text);
#define ID_SPACE(c) ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
    while (first < end && ID_SPACE(chars[first]))
        first++;
    while (end > first && ID_SPACE(chars[end - 1]))
        end--;
#undef ID_SPACE
    if (end - first < 2 || chars[first] < '0' || chars[first] > '9' || chars[end - 1] < '0' || chars[end - 1] > '9')
        return 0;
    char digits[20];
    Py_ssize_t count = 0;
    for (Py_ssize_t i = first; i < end; i++) {
        char c = chars[i];
        if (c >= '0' && c <= '9') {
            if (count == 19)
                return 0; /* more than a card's 19 */
            digits[count++] = c;
        }
        else if (c != ' ' && c != '-')
            return 0;
    }
    return card_number(digits, count);
}

/* card_number(digits: str) -> bool and card_id(text: str) -> bool, for the tests that hold them to context.py and
 * JsonPaths._identifier. */
PyObject *
py_card_id(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "card_id(text: str, whole: bool)");
        return NULL;
    }
    int whole = PyObject_IsTrue(args[1]);
    if (whole < 0)
        return NULL;
    if (whole)
        return PyBool_FromLong(card_id(args[0]));
    PyObject *text = args[0];
    if (!PyUnicode_IS_ASCII(text))
        Py_RETURN_FALSE;
    const char *chars = (const char *)PyUnicode_1BYTE_DATA(text);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(text); i++)
        if (chars[i] < '0' || chars[i] > '9')
            Py_RETURN_FALSE;
    return PyBool_FromLong(card_number(chars, PyUnicode_GET_LENGTH(text)));
}

/* `_identifier(trail, text)` appended to `out`: (text, None, _origin(trail, IDENTIFIER, False, False)) when `text` is
 * a card id. */
static int
identifier_native(PyObject *out, PyObject *trail, PyObject *text, PyObject *origins, PyObject *origin_call,
                  PyObject *kind)
{
    if (!card_id(text))
        return 0;
    PyObject *key = PyTuple_Pack(4, trail, kind, Py_False, Py_False);
    if (key == NULL)
        return -1;
    PyObject *origin = PyDict_GetItemWithError(origins, key); /* borrowed */
    Py_DECREF(key);
    if (origin != NULL)
        Py_INCREF(origin);
    else if (PyErr_Occurred())
        return -1;
    else {
        PyObject *call[] = {trail, kind, Py_False, Py_False};
        if ((origin = PyObject_Vectorcall(origin_call, call, 4, NULL)) == NULL)
            return -1;
    }
    PyObject *item = PyTuple_Pack(3, text, Py_None, origin);
    Py_DECREF(origin);
    int failed = item == NULL ? -1 : PyList_Append(out, item);
    Py_XDECREF(item);
    return failed;
}

/* (piece, identifying, origin) appended to `out` for each (piece, identifying) of `items`: 0, or -1 on an error. */
static int append_items(PyObject *out, PyObject *items, PyObject *origin) {
    int failed = 0;
    for (Py_ssize_t i = 0; !failed && i < PyTuple_GET_SIZE(items); i++) {
        PyObject *pair = PyTuple_GET_ITEM(items, i);
        PyObject *item = PyTuple_Pack(3, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1), origin);
        failed = item == NULL ? -1 : PyList_Append(out, item);
        Py_XDECREF(item);
    }
    return failed;
}

/* One plain leaf whose pairs are `items` (a non-empty tuple of (piece, identifying)): appended with its origin when
 * the origin memo has it; 0 done, 1 not done (ask _plain_pieces), -1 error. */
static int
plain_from_memo(PyObject *out, PyObject *sub, PyObject *trail, PyObject *items, PyObject *origins)
{
    PyObject *name = PyObject_GetAttr(sub, name_name);
    if (name == NULL)
        return -1;
    PyObject *key = PyTuple_Pack(4, trail, name, Py_False, Py_False);
    Py_DECREF(name);
    if (key == NULL)
        return -1;
    PyObject *origin = PyDict_GetItemWithError(origins, key); /* borrowed */
    Py_DECREF(key);
    if (origin == NULL)
        return PyErr_Occurred() ? -1 : 1;
    Py_INCREF(origin); /* the tuples below hold it; the dict may drop it meanwhile only by Python code: none runs */
    int failed = append_items(out, items, origin);
    Py_DECREF(origin);
    return failed;
}

/* What json_found_items_native adds to json_found_items: the leak items of a plain sub read from its C leak_items
 * (`natives`: id(sub) -> LeakItems, leak_items.c) instead of the memo, and `_plain_pieces` done here: the origins from
 * the trail memo or `origin` (JsonPaths._origin, asked in the same order), the recorded fake from the sub's call
 * (`calls`: JsonPaths._calls, else sub.transform) with an empty row. */
typedef struct {
    PyObject *origins; /* JsonPaths._trail_origins */
    PyObject *natives; /* dict id(sub) -> C leak_items */
    PyObject *calls;   /* dict id(sub) -> the sub's transform as the row loop calls it */
    PyObject *origin;  /* JsonPaths._origin(trail, kind, detected, weak) */
    PyObject *fake;    /* leak_origins.FAKE */
    PyObject *identifier; /* leak_origins.IDENTIFIER */
} FoundNative;

static PyObject *transform_name;

/* JsonPaths._origin(trail, kind, False, False), from its memo when there: a new reference, NULL on error. */
static PyObject *
origin_of(FoundNative *native, PyObject *trail, PyObject *kind)
{
    PyObject *key = PyTuple_Pack(4, trail, kind, Py_False, Py_False);
    if (key == NULL)
        return NULL;
    PyObject *origin = PyDict_GetItemWithError(native->origins, key); /* borrowed */
    Py_DECREF(key);
    if (origin != NULL)
        return Py_NewRef(origin);
    if (PyErr_Occurred())
        return NULL;
    PyObject *call[] = {trail, kind, Py_False, Py_False};
    return PyObject_Vectorcall(native->origin, call, 4, NULL);
}

/* JsonPaths._plain_pieces(sub, trail, text, items), appended to `out`; `recorded`: the sub's fake is recorded. */
static int
plain_pieces_native(FoundNative *native, PyObject *out, PyObject *sub, PyObject *sub_id, PyObject *trail,
                    PyObject *text, PyObject *items, int recorded)
{
    PyObject *name = PyObject_GetAttr(sub, name_name);
    PyObject *origin = name == NULL ? NULL : origin_of(native, trail, name);
    Py_XDECREF(name);
    if (origin == NULL)
        return -1;
    int failed = append_items(out, items, origin);
    Py_DECREF(origin);
    if (failed || !recorded)
        return failed;
    PyObject *call = PyDict_GetItemWithError(native->calls, sub_id); /* borrowed */
    if (call != NULL)
        Py_INCREF(call);
    else if (PyErr_Occurred() || (call = PyObject_GetAttr(sub, transform_name)) == NULL)
        return -1;
    PyObject *row = PyDict_New();
    PyObject *fake = NULL;
    if (row != NULL) {
        PyObject *arguments[] = {text, row};
        fake = PyObject_Vectorcall(call, arguments, 2, NULL);
        Py_DECREF(row);
    }
    Py_DECREF(call);
    if (fake == NULL)
        return -1;
    int differs = fake == Py_None ? 0 : PyObject_RichCompareBool(fake, text, Py_NE);
    if (differs > 0) {
        PyObject *fake_origin = origin_of(native, trail, native->fake);
        PyObject *item = fake_origin == NULL ? NULL : PyTuple_Pack(3, fake, Py_None, fake_origin);
        differs = item == NULL ? -1 : PyList_Append(out, item);
        Py_XDECREF(item);
        Py_XDECREF(fake_origin);
    }
    Py_DECREF(fake);
    return differs < 0 ? -1 : 0;
}

static PyObject *
found_items(PyObject *const *args, FoundNative *native)
{
    if (name_name == NULL && (name_name = PyUnicode_InternFromString("name")) == NULL)
        return NULL;
    if (transform_name == NULL && (transform_name = PyUnicode_InternFromString("transform")) == NULL)
        return NULL;
    PyObject *found = args[0], *kinds = args[1], *memo = args[2], *origins = args[3], *fakes = args[4];
    PyObject *out = args[5];
    PyObject *keep = PyTuple_GET_ITEM(args[6], 0), *silent = PyTuple_GET_ITEM(args[6], 1);
    PyObject *plain = PyTuple_GET_ITEM(args[6], 2), *whole = PyTuple_GET_ITEM(args[6], 4);
    PyObject *whole_identifying = PyTuple_GET_ITEM(args[6], 5);
    PyObject *plain_items = args[7], *plain_pieces = args[8], *identifier = args[9], *pieces = args[10];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(found); i++) {
        PyObject *entry = PyList_GET_ITEM(found, i);
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 4) {
            PyErr_SetString(PyExc_TypeError, "json_found_items: found holds (trail, sub, text, is_string)");
            return NULL;
        }
        Py_INCREF(entry); /* a callback may change `found`: the entry stays alive while it is read */
        PyObject *trail = PyTuple_GET_ITEM(entry, 0), *sub = PyTuple_GET_ITEM(entry, 1);
        PyObject *text = PyTuple_GET_ITEM(entry, 2);
        PyObject *sub_id = PyLong_FromVoidPtr(sub);
        PyObject *kind = sub_id == NULL ? NULL : PyDict_GetItemWithError(kinds, sub_id); /* borrowed */
        int failed = 0;
        if (kind == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_KeyError, "json_found_items: a sub without a kind");
            failed = -1;
        }
        else if (kind == keep) {
            if (PyUnicode_Check(text) && native != NULL)
                failed = identifier_native(out, trail, text, origins, native->origin, native->identifier);
            else if (PyUnicode_Check(text) && id_first(text))
                failed = extend_with(out, PyObject_CallFunctionObjArgs(identifier, trail, text, NULL));
        }
        else if (kind == plain || kind == whole || kind == whole_identifying) {
            PyObject *items = NULL;
            if (kind != plain) { /* Transformer.leak_items of a personal value: ((text, identifying),) unless blank */
                if (PyUnicode_Check(text) && !blank(text)) {
                    PyObject *pair = PyTuple_Pack(2, text, kind == whole ? Py_False : Py_True);
                    items = pair == NULL ? NULL : PyTuple_Pack(1, pair);
                    Py_XDECREF(pair);
                }
                else
                    items = PyTuple_New(0);
            }
            else if (native != NULL && (items = PyDict_GetItemWithError(native->natives, sub_id)) != NULL)
                items = PyObject_Vectorcall(items, &text, 1, NULL); /* its C leak_items: no memo needed */
            else if (native != NULL && PyErr_Occurred())
                items = NULL;
            else {
                PyObject *key = PyTuple_Pack(2, sub_id, text);
                items = key == NULL ? NULL : PyDict_GetItemWithError(memo, key);
                Py_XDECREF(key);
                if (items != NULL)
                    Py_INCREF(items);
                else if (!PyErr_Occurred())
                    items = PyObject_CallFunctionObjArgs(plain_items, sub, text, NULL);
            }
            if (items == NULL || !PyTuple_Check(items)) {
                if (items != NULL)
                    PyErr_SetString(PyExc_TypeError, "json_found_items: a plain sub's items must be a tuple");
                failed = -1;
            }
            else if (PyTuple_GET_SIZE(items)) {
                int recorded = PySet_Contains(fakes, sub_id);
                int done = recorded < 0        ? -1
                           : native != NULL    ? plain_pieces_native(native, out, sub, sub_id, trail, text, items,
                                                                     recorded)
                           : recorded          ? 1
                                               : plain_from_memo(out, sub, trail, items, origins);
                if (done == 1)
                    done = extend_with(out, PyObject_CallFunctionObjArgs(plain_pieces, sub, trail, text, items, NULL));
                failed = done;
            }
            Py_XDECREF(items);
        }
        else if (kind != silent) {
            PyObject *call[] = {sub, trail, text, PyTuple_GET_ITEM(entry, 3), Py_None};
            failed = extend_with(out, PyObject_Vectorcall(pieces, call, 5, NULL));
        }
        Py_XDECREF(sub_id);
        Py_DECREF(entry);
        if (failed)
            return NULL;
    }
    return Py_NewRef(out);
}

/* json_found_items' first 11 arguments checked: 0, or -1 with TypeError set. */
static int
found_items_check(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t expected)
{
    /* found, kinds, memo, origins, fakes, out, (keep, silent, plain, ask, whole, whole identifying), plain_items,
     * plain_pieces, identifier, pieces */
    if (nargs != expected || !PyList_Check(args[0]) || !PyDict_Check(args[1]) || !PyDict_Check(args[2]) ||
        !PyDict_Check(args[3]) || !PyAnySet_Check(args[4]) || !PyList_Check(args[5]) || !PyTuple_Check(args[6]) ||
        PyTuple_GET_SIZE(args[6]) != 6) {
        PyErr_SetString(PyExc_TypeError, "json_found_items(found: list, kinds: dict, memo: dict, origins: dict, "
                                         "fakes: set, out: list, (keep, silent, plain, ask, whole, whole identifying), "
                                         "plain_items, plain_pieces, identifier, pieces)");
        return -1;
    }
    return 0;
}

PyObject *
py_json_found_items(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return found_items_check(args, nargs, 11) < 0 ? NULL : found_items(args, NULL);
}

/* json_found_items(found, ..., pieces, natives, calls, origin, FAKE, IDENTIFIER): the same, with FoundNative's
 * additions, and a kept leaf's `_identifier` in C (card_id). */
PyObject *
py_json_found_items_native(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (found_items_check(args, nargs, 16) < 0)
        return NULL;
    if (!PyDict_Check(args[11]) || !PyDict_Check(args[12]) || !PyUnicode_Check(args[14]) ||
        !PyUnicode_Check(args[15])) {
        PyErr_SetString(PyExc_TypeError, "json_found_items_native(found, kinds, memo, origins, fakes, out, "
                                         "kinds_named, plain_items, plain_pieces, identifier, pieces, natives: dict, "
                                         "calls: dict, origin, fake: str, identifier_kind: str)");
        return NULL;
    }
    FoundNative native = {args[3], args[11], args[12], args[13], args[14], args[15]};
    return found_items(args, &native);
}

/* ---- JsonPaths._items' loop over the leaves left to other_strings (free text), `detections` asked directly ----
 * json_leaf_items(leaves, out, detections, IDENTIFIER, origins, origin, ids): for each (trail, node, context), a
 * node under an id key (not a bool) is `_identifier`'s as str(node) (card_id, in C); a string's detections(node, context, ids) are appended as (piece, identifying, origin) with
 * `_origin(trail, kind, True, weak)` read from the trail memo when there. */
static PyObject *id_context;

PyObject *
py_json_leaf_items(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7 || !PyList_Check(args[0]) || !PyList_Check(args[1]) || !PyUnicode_Check(args[3]) ||
        !PyDict_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "json_leaf_items(leaves: list, out: list, detections, identifier_kind: str, "
                                         "origins: dict, origin, ids)");
        return NULL;
    }
    if (id_context == NULL && (id_context = PyUnicode_InternFromString("id")) == NULL)
        return NULL;
    PyObject *leaves = args[0], *out = args[1], *detections = args[2], *identifier = args[3];
    PyObject *origins = args[4], *origin_call = args[5], *ids = args[6];
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(leaves); i++) {
        PyObject *entry = PyList_GET_ITEM(leaves, i);
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) {
            PyErr_SetString(PyExc_TypeError, "json_leaf_items: leaves holds (trail, node, context)");
            return NULL;
        }
        Py_INCREF(entry); /* a callback may change `leaves` */
        PyObject *trail = PyTuple_GET_ITEM(entry, 0), *node = PyTuple_GET_ITEM(entry, 1);
        PyObject *context = PyTuple_GET_ITEM(entry, 2);
        int failed = 0;
        int under_id = context == Py_None ? 0 : PyObject_RichCompareBool(context, id_context, Py_EQ);
        if (under_id < 0)
            failed = -1;
        else if (under_id && !PyBool_Check(node)) {
            PyObject *text = PyObject_Str(node);
            if (text == NULL)
                failed = -1;
            else
                failed = identifier_native(out, trail, text, origins, origin_call, identifier);
            Py_XDECREF(text);
        }
        if (!failed && PyUnicode_Check(node)) {
            PyObject *found = PyObject_CallFunctionObjArgs(detections, node, context, ids, NULL);
            PyObject *iterator = found == NULL ? NULL : PyObject_GetIter(found), *detection;
            Py_XDECREF(found);
            failed = iterator == NULL ? -1 : 0;
            while (!failed && (detection = PyIter_Next(iterator)) != NULL) {
                if (!PyTuple_Check(detection) || PyTuple_GET_SIZE(detection) != 4) {
                    PyErr_SetString(PyExc_TypeError, "detections must give (piece, identifying, kind, weak)");
                    failed = -1;
                }
                PyObject *key = failed ? NULL : PyTuple_Pack(4, trail, PyTuple_GET_ITEM(detection, 2), Py_True,
                                                             PyTuple_GET_ITEM(detection, 3));
                PyObject *origin = key == NULL ? NULL : PyDict_GetItemWithError(origins, key); /* borrowed */
                if (origin != NULL)
                    Py_INCREF(origin);
                else if (key != NULL && !PyErr_Occurred()) {
                    PyObject *call[] = {trail, PyTuple_GET_ITEM(detection, 2), Py_True, PyTuple_GET_ITEM(detection, 3)};
                    origin = PyObject_Vectorcall(origin_call, call, 4, NULL);
                }
                Py_XDECREF(key);
                PyObject *item = origin == NULL ? NULL :
                    PyTuple_Pack(3, PyTuple_GET_ITEM(detection, 0), PyTuple_GET_ITEM(detection, 1), origin);
                failed = item == NULL ? -1 : PyList_Append(out, item);
                Py_XDECREF(item);
                Py_XDECREF(origin);
                Py_DECREF(detection);
            }
            if (!failed && PyErr_Occurred())
                failed = -1;
            Py_XDECREF(iterator);
        }
        Py_DECREF(entry);
        if (failed)
            return NULL;
    }
    return Py_NewRef(out);
}
