/* A plain transformer's leak items in C: the (piece, identifying) pairs the leak check records of one source value,
 * for the two kinds that are a function of the text and two flags alone, so the JSON walk (json_walk.c's
 * json_found_items_native) and the row loop (rows.c, through the slot's leak_items) call no Python per value.
 *
 *   LeakItems("digit", identifying, personal, None):  Transformer.leak_items of a transformer whose
 *       leak_values is digits.whole_if_digit (phone, card, registry numbers): ((value, identifying),) when the value
 *       holds a Unicode decimal digit (re's \d), else ().
 *   LeakItems("address", identifying, personal, nameless):  Address.leak_items: () unless personal and
 *       not blank, else ((value, identifying and specificity.specific_address(value)),).
 *
 * specific_address (specificity.py is the reference): a word of the casefolded value, a run of re's [^\W\d_]
 * (alphanumeric, not a decimal digit, not '_'), of 2+ characters that is not in `nameless` (NAMELESS_WORDS and the
 * Japanese unit words). */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

#define LEAK_ITEMS_DIGIT 0
#define LEAK_ITEMS_ADDRESS 1

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int mode;
    int personal;
    PyObject *identifying; /* the transformer's flag as it is (Python's `and` gives it back when false) */
    PyObject *nameless;    /* frozenset of str, or None */
    Py_ssize_t longest;    /* the longest nameless word's length: a longer word names something */
} LeakItems;

/* re's [^\W\d_] for one code point: \w is alphanumeric or "_" (_sre: Py_UNICODE_ISALNUM, which "_" is not), \d
 * Py_UNICODE_ISDECIMAL. */
static inline int
word_char(Py_UCS4 c)
{
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

/* Is `word` (2+ characters) one of the nameless words? 1 yes, 0 no, -1 error. */
static int
nameless_word(PyObject *folded, Py_ssize_t start, Py_ssize_t end, PyObject *nameless, Py_ssize_t longest)
{
    if (end - start > longest)
        return 0;
    PyObject *word = PyUnicode_Substring(folded, start, end);
    if (word == NULL)
        return -1;
    int found = PySet_Contains(nameless, word);
    Py_DECREF(word);
    return found;
}

/* specific_address(value): 1, 0, or -1 with an exception set. */
static int
specific_address(PyObject *value, PyObject *nameless, Py_ssize_t longest)
{
    PyObject *folded;
    if (PyUnicode_IS_ASCII(value)) { /* casefold of ASCII is lower(): only when an upper-case letter is there */
        const Py_UCS1 *text = PyUnicode_1BYTE_DATA(value);
        Py_ssize_t length = PyUnicode_GET_LENGTH(value), i = 0;
        while (i < length && !(text[i] >= 'A' && text[i] <= 'Z'))
            i++;
        if (i == length)
            folded = Py_NewRef(value);
        else {
            folded = PyUnicode_New(length, 127);
            if (folded == NULL)
                return -1;
            Py_UCS1 *out = PyUnicode_1BYTE_DATA(folded);
            for (Py_ssize_t k = 0; k < length; k++)
                out[k] = (text[k] >= 'A' && text[k] <= 'Z') ? (Py_UCS1)(text[k] + 32) : text[k];
        }
    }
    else if ((folded = PyObject_CallMethod(value, "casefold", NULL)) == NULL)
        return -1;
    int kind = PyUnicode_KIND(folded), found = 0;
    const void *data = PyUnicode_DATA(folded);
    Py_ssize_t length = PyUnicode_GET_LENGTH(folded);
    for (Py_ssize_t i = 0; i < length && !found;) {
        if (!word_char(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < length && word_char(PyUnicode_READ(kind, data, i)))
            i++;
        if (i - start >= 2) {
            int known = nameless_word(folded, start, i, nameless, longest);
            found = known < 0 ? -1 : !known;
        }
    }
    Py_DECREF(folded);
    return found;
}

/* specific_address(value, nameless) -> bool: the C above, for the tests that hold it to specificity.py. */
PyObject *
py_specific_address(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyAnySet_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "specific_address(value: str, nameless: frozenset)");
        return NULL;
    }
    int found = specific_address(args[0], args[1], PY_SSIZE_T_MAX);
    return found < 0 ? NULL : PyBool_FromLong(found);
}

static PyObject *
one_item(PyObject *value, PyObject *flag)
{
    PyObject *pair = PyTuple_Pack(2, value, flag);
    if (pair == NULL)
        return NULL;
    PyObject *items = PyTuple_Pack(1, pair);
    Py_DECREF(pair);
    return items;
}

static PyObject *
leak_items_call(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    LeakItems *self = (LeakItems *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "leak_items(value: str)");
        return NULL;
    }
    PyObject *value = args[0];
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (self->mode == LEAK_ITEMS_DIGIT) {
        for (Py_ssize_t i = 0; i < length; i++)
            if (Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, i)))
                return one_item(value, self->identifying);
        return PyTuple_New(0);
    }
    Py_ssize_t i = 0; /* `value.strip()`: str.strip's whitespace is Py_UNICODE_ISSPACE */
    while (i < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)))
        i++;
    if (!self->personal || i == length)
        return PyTuple_New(0);
    int identifying = PyObject_IsTrue(self->identifying);
    if (identifying <= 0)
        return identifying < 0 ? NULL : one_item(value, self->identifying);
    int specific = specific_address(value, self->nameless, self->longest);
    return specific < 0 ? NULL : one_item(value, specific ? Py_True : Py_False);
}

static PyObject *
leak_items_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    int personal;
    const char *name;
    PyObject *identifying, *nameless;
    static char *names[] = {"mode", "identifying", "personal", "nameless", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sOpO:LeakItems", names, &name, &identifying, &personal,
                                     &nameless))
        return NULL;
    int mode = strcmp(name, "digit") == 0 ? LEAK_ITEMS_DIGIT : strcmp(name, "address") == 0 ? LEAK_ITEMS_ADDRESS : -1;
    if (mode < 0) {
        PyErr_SetString(PyExc_ValueError, "LeakItems: mode is \"digit\" or \"address\"");
        return NULL;
    }
    Py_ssize_t longest = 0;
    if (mode == LEAK_ITEMS_ADDRESS) {
        if (!PyFrozenSet_Check(nameless)) {
            PyErr_SetString(PyExc_TypeError, "LeakItems: an address's nameless words are a frozenset of str");
            return NULL;
        }
        Py_ssize_t position = 0;
        PyObject *word;
        Py_hash_t hash;
        while (_PySet_NextEntry(nameless, &position, &word, &hash)) {
            if (!PyUnicode_Check(word)) {
                PyErr_SetString(PyExc_TypeError, "LeakItems: an address's nameless words are a frozenset of str");
                return NULL;
            }
            if (PyUnicode_GET_LENGTH(word) > longest)
                longest = PyUnicode_GET_LENGTH(word);
        }
    }
    LeakItems *self = (LeakItems *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = leak_items_call;
    self->mode = mode;
    self->personal = personal;
    self->identifying = Py_NewRef(identifying);
    self->nameless = Py_NewRef(nameless);
    self->longest = longest;
    return (PyObject *)self;
}

static int
leak_items_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((LeakItems *)self)->identifying);
    Py_VISIT(((LeakItems *)self)->nameless);
    return 0;
}

static void
leak_items_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((LeakItems *)self)->identifying);
    Py_CLEAR(((LeakItems *)self)->nameless);
    Py_TYPE(self)->tp_free(self);
}

PyTypeObject LeakItemsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "anonymize._speedups.LeakItems",
    .tp_basicsize = sizeof(LeakItems),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "LeakItems(mode, identifying, personal, nameless): a plain transformer's leak_items(value) in C "
              "(leak_items.c).",
    .tp_new = leak_items_new,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(LeakItems, vectorcall),
    .tp_traverse = leak_items_traverse,
    .tp_dealloc = leak_items_dealloc,
};
