/* transformers.address.Address's postal_code and street parts (keyed on a row id in ASCII digits, or on the value):
 * the key's pool index picks the town and block, a keyed digest of the key the postal code. Only Japanese shapes
 * are written here: a postal code of 7 ASCII digits or 3-4 with a hyphen, a street line that isn't in Latin letters
 * (anonymize.locales.is_latin_text). With `western`, a Western street or building line, ZIP, UK postcode or other
 * postal code in printable ASCII is written by western.c (WesternAddresses' first draw). A street naming a
 * building, a Japanese building line, a postal code not in ASCII, a key of other text, a blank value, a Western
 * fake that needs a redraw: the Python transform. */
#include "speedups.h"

#include <stddef.h>

#define BLOCKS 5400 /* address._BLOCKS: 9 chome x 30 ban x 20 go */

typedef struct {
    FakeHead head;
    PyObject *index;        /* the KeyedIndex's key -> index */
    PyObject *extra_digest; /* the digest of the key behind postal code, building and room */
    PyObject *towns;        /* tuple of str */
    PyObject *kanji_blocks; /* tuple of BLOCKS str: 3丁目12番5号 */
    PyObject *dash_blocks;  /* tuple of BLOCKS str: 3-12-5 */
    PyObject *key_column;   /* str, or None */
    PyObject *nfkc;         /* normalize.nfkc */
    int part;
    Western western; /* its digest NULL: Western values are all Python's */
    PyObject *memo;  /* the transformer's memo (dict), or NULL: Western fakes keyed on the value are kept there */
    Py_ssize_t memo_size;
    int western_only; /* a `us`/`gb` rule's street or building: what western.c doesn't write is Python's, never
                         a Japanese fake (Address._western_text decides other values unlike locale `auto`) */
} AddressFake;

static PyObject *building_words[12], *chome, *ban;

/* address.has_building: a building word, a digit before 階, an ASCII letter before 棟. */
static int
has_building(PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    for (int i = 0; i < 12; i++) {
        Py_ssize_t at = PyUnicode_Find(text, building_words[i], 0, length, 1);
        if (at != -1)
            return at == -2 ? -1 : 1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 1; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i), before = PyUnicode_READ(kind, data, i - 1);
        if ((c == 0x968E /* 階 */ && Py_UNICODE_ISDECIMAL(before)) ||
            (c == 0x68DF /* 棟 */ && ((before >= 'A' && before <= 'Z') || (before >= 'a' && before <= 'z'))))
            return 1;
    }
    return 0;
}

static int
ascii_digits(PyObject *text)
{
    if (!PyUnicode_IS_ASCII(text) || PyUnicode_GET_LENGTH(text) == 0)
        return 0;
    const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(text);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(text); i++)
        if (chars[i] < '0' || chars[i] > '9')
            return 0;
    return 1;
}

/* locales.JAPANESE_RANGES */
static int
is_japanese(Py_UCS4 c)
{
    return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFF66 && c <= 0xFF9F) || (c >= 0x20000 && c <= 0x2FA1F);
}

/* locales.LATIN_RANGES */
static int
is_latin(Py_UCS4 c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
           (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A);
}

/* locales.is_latin_text: a Latin letter and no Japanese character */
static int
is_latin_text(PyObject *text)
{
    int kind = PyUnicode_KIND(text), latin = 0;
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0, length = PyUnicode_GET_LENGTH(text); i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (is_japanese(c))
            return 0;
        latin |= is_latin(c);
    }
    return latin;
}

/* latin_text(text: str) -> bool: locales.is_latin_text, ~4x cheaper than its two regex searches on a Japanese
 * address (what every Python-path address asks first). */
PyObject *
py_latin_text(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "latin_text(text: str)");
        return NULL;
    }
    return PyBool_FromLong(is_latin_text(text));
}

/* value.strip() of an ASCII value */
static PyObject *
stripped(PyObject *value)
{
    Py_ssize_t first = 0, last = PyUnicode_GET_LENGTH(value);
    fake_strip(PyUnicode_1BYTE_DATA(value), &first, &last);
    return PyUnicode_Substring(value, first, last);
}

static PyObject *
postal_code(AddressFake *fake, PyObject *value, PyObject *key)
{
    unsigned long long extra;
    if (fake_digest_words(fake->extra_digest, (const char *)PyUnicode_1BYTE_DATA(key), PyUnicode_GET_LENGTH(key), 1,
                          &extra) < 0)
        return NULL;
    unsigned long code = (unsigned long)(extra / 10000000ULL % 10000000ULL); /* _postal */
    PyObject *text = stripped(value);
    if (text == NULL)
        return NULL;
    const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    unsigned long own = 0;
    int own_digits = 0, dash = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (chars[i] >= '0' && chars[i] <= '9') {
            own = own_digits < 8 ? own * 10 + (chars[i] - '0') : own;
            own_digits++;
        }
        dash |= chars[i] == '-';
    }
    /* 1234567 or 123-4567 (locales.postal_format "jp"); any other shape (a ZIP, a UK postcode): Python */
    int japanese = own_digits == 7 && (length == 7 || (length == 8 && chars[3] == '-'));
    Py_DECREF(text);
    if (!japanese)
        return Py_NewRef(Py_NotImplemented);
    if (own_digits == 7 && own == code) /* its own row's real code: step off it */
        code = (code + 1) % 10000000UL;
    char out[9];
    for (int i = 6; i >= 0; i--, code /= 10)
        out[i + (i >= 3 && dash)] = (char)('0' + code % 10);
    if (dash)
        out[3] = '-';
    return fake_ascii(&fake->head, out, 7 + dash);
}

static PyObject *
address_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    AddressFake *fake = (AddressFake *)self;
    PyObject *value = args[0], *key;
    if (fake->part == ADDRESS_POSTAL_CODE && !PyUnicode_IS_ASCII(value))
        return fake_fallback(&fake->head, args);
    if (fake->key_column != Py_None) {
        key = row_value(args[1], fake->key_column);
        if (key == NULL)
            return NULL;
        if (key == Py_None)
            Py_SETREF(key, Py_NewRef(value));
    }
    else
        key = Py_NewRef(value);
    if (fake->western.digest != NULL && PyUnicode_Check(key) && !fake_is_blank(value)) {
        /* a value met before (keyed on itself): the memo the Python transform keeps, a lookup instead of draws */
        PyObject *memo = fake->key_column == Py_None ? fake->memo : NULL, *known = fake_memo_get(memo, value);
        if (known != NULL) {
            Py_DECREF(key);
            return Py_NewRef(known);
        }
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
        PyObject *western = NULL;
        int found = western_fake(&fake->western, fake->part == ADDRESS_POSTAL_CODE, value, key, &western);
        if (found != 0) {
            Py_DECREF(key);
            if (found < 0)
                return NULL;
            western = fake_fit(&fake->head, western);
            if (western != NULL && fake_memo_put(memo, fake->memo_size, value, western) < 0)
                Py_CLEAR(western);
            return western;
        }
    }
    if (fake->western_only) {
        Py_DECREF(key);
        return fake_fallback(&fake->head, args);
    }
    if (fake->part == ADDRESS_BUILDING) { /* a Japanese building line: Python */
        Py_DECREF(key);
        return fake_fallback(&fake->head, args);
    }
    /* a key of other text is normalized (text_key) before its index: Python */
    if (!PyUnicode_Check(key) || !ascii_digits(key) || fake_is_blank(value)) {
        Py_DECREF(key);
        return fake_fallback(&fake->head, args);
    }
    PyObject *index_object = PyObject_CallOneArg(fake->index, key);
    if (index_object == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    Py_ssize_t index = PyLong_AsSsize_t(index_object);
    Py_DECREF(index_object);
    if (index < 0) {
        Py_DECREF(key);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "AddressFake: a negative pool index");
        return NULL;
    }
    if (fake->part == ADDRESS_POSTAL_CODE) {
        PyObject *result = postal_code(fake, value, key);
        Py_DECREF(key);
        if (result == Py_NotImplemented) {
            Py_DECREF(result);
            return fake_fallback(&fake->head, args);
        }
        return result;
    }
    Py_DECREF(key);
    Py_ssize_t area = index / BLOCKS, block = index % BLOCKS, town_count = PyTuple_GET_SIZE(fake->towns);
    PyObject *text = PyUnicode_IS_ASCII(value) ? stripped(value) : PyObject_CallOneArg(fake->nfkc, value);
    if (text == NULL)
        return NULL;
    if (!PyUnicode_Check(text)) {
        Py_DECREF(text);
        PyErr_SetString(PyExc_TypeError, "AddressFake: nfkc must return str");
        return NULL;
    }
    if (is_latin_text(text)) {
        Py_DECREF(text);
        return fake_fallback(&fake->head, args); /* a Western street line: Python */
    }
    int building = has_building(text);
    int kanji = PyUnicode_Find(text, chome, 0, PyUnicode_GET_LENGTH(text), 1) >= 0 ||
                PyUnicode_Find(text, ban, 0, PyUnicode_GET_LENGTH(text), 1) >= 0;
    Py_DECREF(text);
    if (building < 0 || PyErr_Occurred())
        return NULL;
    if (building)
        return fake_fallback(&fake->head, args); /* the building goes on the street line: Python */
    PyObject *town = PyTuple_GET_ITEM(fake->towns, area % town_count);
    PyObject *numbers = PyTuple_GET_ITEM(kanji ? fake->kanji_blocks : fake->dash_blocks, block);
    return fake_fit(&fake->head, PyUnicode_Concat(town, numbers));
}

static void
address_dealloc(AddressFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->index);
    Py_XDECREF(fake->extra_digest);
    Py_XDECREF(fake->towns);
    Py_XDECREF(fake->kanji_blocks);
    Py_XDECREF(fake->dash_blocks);
    Py_XDECREF(fake->key_column);
    Py_XDECREF(fake->nfkc);
    Py_XDECREF(fake->western.digest);
    Py_XDECREF(fake->western.streets);
    Py_XDECREF(fake->western.keep);
    Py_XDECREF(fake->western.types);
    Py_XDECREF(fake->western.ordinals);
    Py_XDECREF(fake->memo);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static int
init_words(void)
{
    static const char *words[12] = {"ハイツ", "マンション", "コーポ", "レジデンス", "ビル", "パレス",
                                    "ヒルズ", "タワー", "ハウス", "コート", "荘",       "号室"};
    if (ban != NULL)
        return 0;
    for (int i = 0; i < 12; i++)
        if ((building_words[i] = PyUnicode_FromString(words[i])) == NULL)
            return -1;
    chome = PyUnicode_FromString("丁目");
    ban = PyUnicode_FromString("番");
    return chome != NULL && ban != NULL ? 0 : -1;
}

static PyObject *
address_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *index, *extra_digest, *towns, *kanji_blocks, *dash_blocks, *key_column, *nfkc, *fallback;
    PyObject *western = Py_None, *memo_object = Py_None;
    int part;
    int western_only = 0;
    Py_ssize_t max_length, memo_size = 0;
    static char *names[] = {"index",    "extra_digest", "towns",   "kanji_blocks", "dash_blocks",
                            "key_column", "nfkc",       "part",    "fallback",     "max_length",
                            "western",  "memo",         "memo_size", "western_only", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!O!O!OOiOn|OOnp", names, &index, &extra_digest, &PyTuple_Type,
                                     &towns, &PyTuple_Type, &kanji_blocks, &PyTuple_Type, &dash_blocks, &key_column,
                                     &nfkc, &part, &fallback, &max_length, &western, &memo_object, &memo_size,
                                     &western_only))
        return NULL;
    /* western_only: a street or building line with `western`; a postal code's shapes differ by locale */
    if (western_only && (western == Py_None || part == ADDRESS_POSTAL_CODE)) {
        PyErr_SetString(PyExc_TypeError, "AddressFake: western_only needs western and a street or building part");
        return NULL;
    }
    /* memo: None, or the transformer's memo dict (with memo_size, its cache_size), for the Western fakes */
    if (memo_object != Py_None && (!PyDict_Check(memo_object) || memo_size < 1)) {
        PyErr_SetString(PyExc_TypeError, "AddressFake: memo is None or a dict, with memo_size >= 1");
        return NULL;
    }
    /* western: None, or (digest, street names: tuple of ASCII str, keep, street types, ordinals: frozensets) */
    Western parsed = {NULL, NULL, NULL, NULL, NULL};
    if (western != Py_None) {
        if (!PyTuple_Check(western) ||
            !PyArg_ParseTuple(western, "OO!O!O!O!", &parsed.digest, &PyTuple_Type, &parsed.streets,
                              &PyFrozenSet_Type, &parsed.keep, &PyFrozenSet_Type, &parsed.types, &PyFrozenSet_Type,
                              &parsed.ordinals) ||
            !PyCallable_Check(parsed.digest) || PyTuple_GET_SIZE(parsed.streets) == 0) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "AddressFake: western is None or (digest, streets: tuple, keep, types, "
                                             "ordinals: frozenset)");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(parsed.streets); i++) {
            PyObject *name = PyTuple_GET_ITEM(parsed.streets, i);
            if (!PyUnicode_Check(name) || !PyUnicode_IS_ASCII(name)) {
                PyErr_SetString(PyExc_TypeError, "AddressFake: street names must be ASCII str");
                return NULL;
            }
        }
    }
    if (!PyCallable_Check(index) || !PyCallable_Check(extra_digest) || !PyCallable_Check(nfkc) ||
        !PyCallable_Check(fallback) || PyTuple_GET_SIZE(towns) == 0 || PyTuple_GET_SIZE(kanji_blocks) != BLOCKS ||
        PyTuple_GET_SIZE(dash_blocks) != BLOCKS || (key_column != Py_None && !PyUnicode_Check(key_column)) ||
        part < ADDRESS_POSTAL_CODE || part > ADDRESS_BUILDING) {
        PyErr_SetString(PyExc_TypeError, "AddressFake(index, extra_digest, towns, kanji_blocks, dash_blocks, "
                                         "key_column, nfkc, part 0-2, fallback, max_length, western=None)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(towns) + 2 * BLOCKS; i++) {
        PyObject *item = i < PyTuple_GET_SIZE(towns) ? PyTuple_GET_ITEM(towns, i)
                         : i < PyTuple_GET_SIZE(towns) + BLOCKS
                             ? PyTuple_GET_ITEM(kanji_blocks, i - PyTuple_GET_SIZE(towns))
                             : PyTuple_GET_ITEM(dash_blocks, i - PyTuple_GET_SIZE(towns) - BLOCKS);
        if (!PyUnicode_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "AddressFake: towns and blocks must be str");
            return NULL;
        }
    }
    if (init_words() < 0)
        return NULL;
    AddressFake *fake = (AddressFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = address_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->index = Py_NewRef(index);
    fake->extra_digest = Py_NewRef(extra_digest);
    fake->towns = Py_NewRef(towns);
    fake->kanji_blocks = Py_NewRef(kanji_blocks);
    fake->dash_blocks = Py_NewRef(dash_blocks);
    fake->key_column = Py_NewRef(key_column);
    fake->nfkc = Py_NewRef(nfkc);
    fake->part = part;
    fake->western.digest = Py_XNewRef(parsed.digest);
    fake->western.streets = Py_XNewRef(parsed.streets);
    fake->western.keep = Py_XNewRef(parsed.keep);
    fake->western.types = Py_XNewRef(parsed.types);
    fake->western.ordinals = Py_XNewRef(parsed.ordinals);
    if (fake_memo_argument(memo_object, &fake->memo) < 0) {
        Py_DECREF(fake);
        return NULL;
    }
    fake->memo_size = memo_size;
    fake->western_only = western_only;
    return (PyObject *)fake;
}

PyTypeObject AddressFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.AddressFake",
    .tp_basicsize = sizeof(AddressFake),
    .tp_dealloc = (destructor)address_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "AddressFake(...): Address's postal code and street parts; other cases -> fallback.",
    .tp_new = address_new,
};
