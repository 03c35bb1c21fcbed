/* transformers.person_name.PersonName's fake in a Japanese script (kanji, hiragana, katakana): the key (the row's
 * key column, else the value) picks a pool name through the keyed index, written with the value's separator. Only
 * names written in Japanese are handled here (`needs`: an ideograph for the kanji script, an ideograph or a kana
 * letter for a kana one; anonymize/locales.py's ranges): a Latin-script name gets a Western or romaji fake of its
 * own shape, a kana name under the kanji script keeps its kana, in Python. A fake that would equal its own source
 * name (the Python transform steps to a neighbour), one longer than the column, a blank value: the Python
 * transform. */
#include "speedups.h"

#include <stddef.h>

enum { FULL, FAMILY, GIVEN };
enum { NEEDS_IDEOGRAPH = 1, NEEDS_JAPANESE = 2 }; /* person_name._NATIVE_IDEOGRAPH, _NATIVE_JAPANESE */

typedef struct {
    FakeHead head;
    PyObject *index;      /* the KeyedIndex's key -> index (no memo: the C index is cheaper than the lookup) */
    PyObject *family;     /* tuple of str: the pool's family names in the script */
    PyObject *given;      /* tuple of str: its given names, index for index */
    PyObject *key_column; /* str, or None: keyed on the value itself */
    PyObject *separator;  /* str, or None: mirror the value's */
    int part, given_first, needs;
} NameFake;

static PyObject *ideographic_space, *space, *empty;

/* PersonName._render's separator when the rule sets none: U+3000 if the value has one, a space if one sits
 * inside it (not at its ends), else none. */
static PyObject *
separator_of(PyObject *value)
{
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), first = 0, last = length - 1;
    if (PyUnicode_FindChar(value, 0x3000, 0, length, 1) >= 0)
        return ideographic_space;
    while (first < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, first)))
        first++;
    while (last > first && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, last)))
        last--;
    return first < last && PyUnicode_FindChar(value, ' ', first, last + 1, 1) >= 0 ? space : empty;
}

/* locales.IDEOGRAPH_RANGES */
static int
is_ideograph(Py_UCS4 c)
{
    return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F);
}

/* locales.KATAKANA_RANGES and HIRAGANA_RANGES: kana letters (not the marks ー ・ ゛) */
static int
is_kana_letter(Py_UCS4 c)
{
    return (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0xFF66 && c <= 0xFF6F) || (c >= 0xFF71 && c <= 0xFF9D);
}

/* Whether the value is a name this fake writes as the Python transform does: one with an ideograph (or, for a
 * kana script, a kana letter). */
static int
written_in_japanese(PyObject *value, int needs)
{
    if (PyUnicode_IS_ASCII(value))
        return 0;
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    for (Py_ssize_t i = 0, length = PyUnicode_GET_LENGTH(value); i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (is_ideograph(c) || (needs == NEEDS_JAPANESE && is_kana_letter(c)))
            return 1;
    }
    return 0;
}

static Py_ssize_t
pool_index(NameFake *fake, PyObject *value, PyObject *row)
{
    PyObject *key = NULL;
    if (fake->key_column != Py_None) {
        key = row_value(row, fake->key_column);
        if (key == NULL)
            return -1;
        if (key == Py_None)
            Py_CLEAR(key);
        else if (!PyUnicode_Check(key)) {
            Py_DECREF(key);
            PyErr_SetString(PyExc_TypeError, "NameFake: the key column's value must be str");
            return -1;
        }
    }
    PyObject *name_key = py_name_key(NULL, key != NULL ? key : value);
    Py_XDECREF(key);
    if (name_key == NULL)
        return -1;
    PyObject *index = PyObject_CallOneArg(fake->index, name_key);
    Py_DECREF(name_key);
    if (index == NULL)
        return -1;
    Py_ssize_t result = PyLong_AsSsize_t(index);
    Py_DECREF(index);
    if (result < 0 && !PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "NameFake: a negative pool index");
    return result;
}

static PyObject *
render(NameFake *fake, PyObject *value, Py_ssize_t index)
{
    Py_ssize_t given_count = PyTuple_GET_SIZE(fake->given);
    Py_ssize_t family_at = index / given_count, given_at = index % given_count;
    if (family_at >= PyTuple_GET_SIZE(fake->family)) {
        PyErr_SetString(PyExc_IndexError, "NameFake: a pool index beyond the pool");
        return NULL;
    }
    PyObject *family = PyTuple_GET_ITEM(fake->family, family_at), *given = PyTuple_GET_ITEM(fake->given, given_at);
    if (fake->part == FAMILY)
        return Py_NewRef(family);
    if (fake->part == GIVEN)
        return Py_NewRef(given);
    PyObject *separator = fake->separator != Py_None ? fake->separator : separator_of(value);
    PyObject *first = fake->given_first ? given : family, *second = fake->given_first ? family : given;
    PyObject *pieces[3] = {first, separator, second};
    PyObject *list = PyList_New(3);
    if (list == NULL)
        return NULL;
    for (int i = 0; i < 3; i++)
        PyList_SET_ITEM(list, i, Py_NewRef(pieces[i]));
    PyObject *full = PyUnicode_Join(empty, list);
    Py_DECREF(list);
    return full;
}

static PyObject *
name_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    NameFake *fake = (NameFake *)self;
    PyObject *value = args[0];
    if (fake_is_blank(value) || !written_in_japanese(value, fake->needs))
        return fake_fallback(&fake->head, args);
    Py_ssize_t index = pool_index(fake, value, args[1]);
    if (index < 0)
        return NULL;
    PyObject *fake_name = render(fake, value, index);
    if (fake_name == NULL)
        return NULL;
    if (fake->head.max_length >= 0 && PyUnicode_GET_LENGTH(fake_name) > fake->head.max_length) {
        Py_DECREF(fake_name);
        return fake_fallback(&fake->head, args); /* the shorter forms, in Python */
    }
    PyObject *fake_key = py_name_key(NULL, fake_name), *value_key = py_name_key(NULL, value);
    int same = fake_key != NULL && value_key != NULL ? PyUnicode_Compare(fake_key, value_key) == 0 : -1;
    Py_XDECREF(fake_key);
    Py_XDECREF(value_key);
    if (same != 0) {
        Py_DECREF(fake_name);
        if (same < 0 || PyErr_Occurred())
            return NULL;
        return fake_fallback(&fake->head, args); /* its own name drawn: the Python transform steps off it */
    }
    return fake_name;
}

static void
name_dealloc(NameFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->index);
    Py_XDECREF(fake->family);
    Py_XDECREF(fake->given);
    Py_XDECREF(fake->key_column);
    Py_XDECREF(fake->separator);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
name_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *index, *family, *given, *key_column, *separator, *fallback;
    int part, given_first, needs;
    Py_ssize_t max_length;
    static char *names[] = {"index",       "family",   "given",      "key_column", "separator", "part",
                            "given_first", "fallback", "max_length", "needs",      NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!O!OOipOni", names, &index, &PyTuple_Type, &family,
                                     &PyTuple_Type, &given, &key_column, &separator, &part, &given_first, &fallback,
                                     &max_length, &needs))
        return NULL;
    if (!PyCallable_Check(index) || !PyCallable_Check(fallback) || PyTuple_GET_SIZE(given) == 0 ||
        (key_column != Py_None && !PyUnicode_Check(key_column)) ||
        (separator != Py_None && !PyUnicode_Check(separator)) || part < FULL || part > GIVEN ||
        (needs != NEEDS_IDEOGRAPH && needs != NEEDS_JAPANESE)) {
        PyErr_SetString(PyExc_TypeError, "NameFake(index, family: tuple, given: tuple, key_column, separator, part "
                                         "0-2, given_first, fallback, max_length, needs 1-2)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(family) + PyTuple_GET_SIZE(given); i++) {
        PyObject *name = i < PyTuple_GET_SIZE(family) ? PyTuple_GET_ITEM(family, i)
                                                       : PyTuple_GET_ITEM(given, i - PyTuple_GET_SIZE(family));
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "NameFake: pool names must be str");
            return NULL;
        }
    }
    if (empty == NULL) {
        ideographic_space = PyUnicode_FromOrdinal(0x3000);
        space = PyUnicode_FromString(" ");
        empty = PyUnicode_FromString("");
        if (ideographic_space == NULL || space == NULL || empty == NULL)
            return NULL;
    }
    NameFake *fake = (NameFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = name_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->index = Py_NewRef(index);
    fake->family = Py_NewRef(family);
    fake->given = Py_NewRef(given);
    fake->key_column = Py_NewRef(key_column);
    fake->separator = Py_NewRef(separator);
    fake->part = part;
    fake->given_first = given_first;
    fake->needs = needs;
    return (PyObject *)fake;
}

PyTypeObject NameFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.NameFake",
    .tp_basicsize = sizeof(NameFake),
    .tp_dealloc = (destructor)name_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "NameFake(index, family, given, key_column, separator, part, given_first, fallback, max_length, "
              "needs): PersonName's fake of a name written in Japanese; other cases -> fallback.",
    .tp_new = name_new,
};
