/* transformers.person_name.PersonName's fake in a Japanese script (kanji, hiragana, katakana): the key (the row's
 * key column, else the value) picks a pool name through the keyed index, written with the value's separator. Names
 * written in Japanese are handled here (`needs`: an ideograph for the kanji script, an ideograph or a kana letter
 * for a kana one; anonymize/locales.py's ranges); a kana name under the kanji script keeps its kana, in Python.
 * A Latin-script name gets a Western or romaji fake of its own shape (_LatinShape): written here too (`latin`)
 * when it is a Western one in plain ASCII (letters, spaces, . ' -; no comma) keyed on itself: see latin_call. A fake
 * that would equal its own source name (the Python transform steps to a neighbour), one longer than the column, a
 * blank value: the Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

enum { FULL, FAMILY, GIVEN };

typedef struct {
    FakeHead head;
    PyObject *index;      /* the KeyedIndex's key -> index (no memo: the C index is cheaper than the lookup) */
    PyObject *family;     /* tuple of str: the pool's family names in the script */
    PyObject *given;      /* tuple of str: its given names, index for index */
    PyObject *key_column; /* str, or None: keyed on the value itself */
    PyObject *separator;  /* str, or None: mirror the value's */
    int part, given_first, needs;
    /* The Western pool (person_name._pool("latin")), or NULL: Latin-script names are then all Python's */
    PyObject *latin_index, *latin_family, *latin_given;
    PyObject *titles, *suffixes, *particles; /* frozensets: locales.NAME_TITLES, NAME_SUFFIXES, _PARTICLES */
    int latin_locale, latin_given_first;    /* LATIN_AUTO / LATIN_EN; order != family_first */
    PyObject *memo;                         /* the transformer's memo (dict), or NULL: Latin fakes are kept there */
    Py_ssize_t memo_size;
} NameFake;

#define LATIN_WORDS 32 /* words of a name handled here; more: Python */

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


/* --- Latin-script names -------------------------------------------------------------------------------------- */

static int
is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static int
in_set(const char *chars, char c)
{
    return c != '\0' && strchr(chars, c) != NULL;
}

/* locales._HEPBURN.fullmatch(word) (lowercase ASCII): whether the word splits into its syllables. The regex is a
 * repetition of alternatives none of which matches empty, so backtracking finds a match exactly when a split
 * exists: reach[i] says word[:i] splits. */
static int
hepburn(const char *w, Py_ssize_t n)
{
    unsigned char reach[LATIN_WORDS * 8 + 1];
    if (n <= 0 || n > LATIN_WORDS * 8)
        return -1; /* not decided here */
    memset(reach, 0, (size_t)n + 1);
    reach[0] = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!reach[i])
            continue;
        char c = w[i], next = i + 1 < n ? w[i + 1] : '\0', after = i + 2 < n ? w[i + 2] : '\0';
        /* (sh|ch|ts|[kgsztdnhbpmr]y|[kgsztdnhbpmrjfwyv])?[aeiou] */
        if (is_vowel(c))
            reach[i + 1] = 1;
        if (in_set("kgsztdnhbpmrjfwyv", c) && is_vowel(next))
            reach[i + 2] = 1;
        if (((c == 's' && next == 'h') || (c == 'c' && next == 'h') || (c == 't' && next == 's') ||
             (in_set("kgsztdnhbpmr", c) && next == 'y')) &&
            is_vowel(after))
            reach[i + 3] = 1;
        if (c == 'n' && !(is_vowel(next) || next == 'y')) /* n(?![aeiouy]) */
            reach[i + 1] = 1;
        if (c == 'm' && in_set("bpm", next)) /* m(?=[bpm]) */
            reach[i + 1] = 1;
        /* ([kgstdhbpcfjmrz])(?=\1|ch|ts) */
        if (in_set("kgstdhbpcfjmrz", c) && (next == c || (next == 'c' && after == 'h') || (next == 't' && after == 's')))
            reach[i + 1] = 1;
    }
    return reach[n];
}

static int
contains_text(PyObject *set, const char *text, Py_ssize_t length)
{
    PyObject *word = PyUnicode_DecodeASCII(text, length, NULL);
    if (word == NULL)
        return -1;
    int found = PySet_Contains(set, word);
    Py_DECREF(word);
    return found;
}

/* locales.looks_romaji's first tests, on a lowercase ASCII name: 0 when a word of its name_words (letter runs of
 * two or more, no titles or suffixes) isn't Hepburn syllables (a Western name: every Western name test below
 * passes through here), 1 when every word is (or none: then not romaji either... see below), -1 on error.
 * 1 means "not decided": the Python transform decides (pools, Western names). A name with no such word at all is
 * no romaji name: 0. */
static int
may_be_romaji(NameFake *fake, const char *lower, Py_ssize_t length)
{
    int words = 0;
    for (Py_ssize_t i = 0; i < length;) {
        if (lower[i] < 'a' || lower[i] > 'z') {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < length && lower[i] >= 'a' && lower[i] <= 'z')
            i++;
        Py_ssize_t n = i - start;
        if (n < 2)
            continue;
        int title = contains_text(fake->titles, lower + start, n);
        int suffix = title == 0 ? contains_text(fake->suffixes, lower + start, n) : 0;
        if (title < 0 || suffix < 0)
            return -1;
        if (title || suffix)
            continue;
        words++;
        /* romaji_spelling: a long vowel folded (o + o/u/h, u + u, before a non-vowel or the end), judged on the
         * word as written (the regex's lookbehind sees the original) */
        char folded[LATIN_WORDS * 8];
        Py_ssize_t m = 0;
        if (n > LATIN_WORDS * 8)
            return 1;
        for (Py_ssize_t k = start; k < i; k++) {
            char c = lower[k], before = k > start ? lower[k - 1] : '\0', next = k + 1 < i ? lower[k + 1] : '\0';
            int long_vowel = ((before == 'o' && (c == 'o' || c == 'u' || c == 'h')) || (before == 'u' && c == 'u')) &&
                             !is_vowel(next);
            if (!long_vowel)
                folded[m++] = c;
        }
        int syllables = hepburn(folded, m);
        if (syllables != 1)
            return syllables == 0 ? 0 : 1;
    }
    return words > 0;
}

enum { KEEP, NAME, INITIAL };

/* Whether a word (lowercase, its trailing dots off) is in `set`. */
static int
bare_in(PyObject *set, const char *lower, Py_ssize_t start, Py_ssize_t end)
{
    while (end > start && lower[end - 1] == '.')
        end--;
    return contains_text(set, lower + start, end - start);
}

/* _cased(fake, like): upper when `like` is upper case with two letters or more, lower when it is lower case. */
static void
put_cased(char *out, PyObject *name, const char *like, Py_ssize_t length, int initial)
{
    int letters = 0, upper = 0, lower = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        char c = like[i];
        upper += c >= 'A' && c <= 'Z';
        lower += c >= 'a' && c <= 'z';
    }
    letters = upper + lower;
    const char *text = (const char *)PyUnicode_1BYTE_DATA(name);
    if (initial) { /* _initial: the fake's initial in the case of like's first character, then the rest of like */
        char first = text[0];
        out[0] = like[0] >= 'a' && like[0] <= 'z' ? (char)Py_TOLOWER(first) : (char)Py_TOUPPER(first);
        memcpy(out + 1, like + 1, (size_t)length - 1);
        return;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(name);
    int to_upper = letters > 1 && lower == 0, to_lower = lower > 0 && upper == 0;
    for (Py_ssize_t i = 0; i < size; i++)
        out[i] = to_upper ? (char)Py_TOUPPER(text[i]) : to_lower ? (char)Py_TOLOWER(text[i]) : text[i];
}

/* PersonName's fake of a Western name in plain ASCII keyed on itself (_names_for -> the "latin" pool, _render's
 * _LatinShape.render): the words split at spaces, titles and suffixes at the ends kept, lowercase particles kept,
 * one-letter words the fake's initials, the other words the drawn person's names (the last the family name when
 * the given name comes first, each further one of a role NAME_SPREAD on). NULL with no error set: not a case for
 * this path (the Python transform). */
static PyObject *
latin_fake(NameFake *fake, PyObject *value, int *handled)
{
    *handled = 0;
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    char lower[LATIN_WORDS * 8];
    if (length > LATIN_WORDS * 8)
        return NULL;
    int letters = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        char c = text[i];
        int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!letter && c != ' ' && c != '.' && c != '\'' && c != '-')
            return NULL; /* commas, other spaces, digits, anything else: Python */
        letters += letter;
        lower[i] = (char)Py_TOLOWER(c);
    }
    if (letters == 0)
        return NULL;
    if (fake->latin_locale == LATIN_AUTO) {
        int romaji = may_be_romaji(fake, lower, length);
        if (romaji != 0)
            return NULL; /* -1: the error stays set */
    }
    /* _LatinShape: words, their kinds, their roles */
    Py_ssize_t starts[LATIN_WORDS], ends[LATIN_WORDS];
    int kinds[LATIN_WORDS], count = 0;
    for (Py_ssize_t i = 0; i < length;) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        if (count == LATIN_WORDS)
            return NULL;
        starts[count] = i;
        while (i < length && text[i] != ' ')
            i++;
        ends[count++] = i;
    }
    if (count == 0)
        return NULL;
    int first = 0, last = count;
    for (int i = 0; i < count; i++)
        kinds[i] = NAME;
    while (first < last - 1) {
        int found = bare_in(fake->titles, lower, starts[first], ends[first]);
        if (found < 0)
            return NULL;
        if (!found)
            break;
        kinds[first++] = KEEP;
    }
    while (last - 1 > first) {
        int found = bare_in(fake->suffixes, lower, starts[last - 1], ends[last - 1]);
        if (found < 0)
            return NULL;
        if (!found)
            break;
        kinds[--last] = KEEP;
    }
    for (int i = first; i < last; i++) {
        Py_ssize_t end = ends[i];
        while (end > starts[i] && text[end - 1] == '.')
            end--;
        int particle = 0;
        if (last - first > 1 && text[starts[i]] >= 'a' && text[starts[i]] <= 'z') {
            particle = bare_in(fake->particles, lower, starts[i], ends[i]);
            if (particle < 0)
                return NULL;
        }
        if (particle)
            kinds[i] = KEEP;
        else if (end - starts[i] == 1)
            kinds[i] = INITIAL;
    }
    int named = 0, first_named = -1, last_named = -1;
    for (int i = 0; i < count; i++)
        if (kinds[i] != KEEP) {
            named++;
            last_named = i;
            if (first_named < 0)
                first_named = i;
        }
    if (named == 0 || (fake->part == FULL && named == 1))
        return NULL; /* the plain render; a one-word full name's role from the pools: Python */
    int family_at = fake->latin_given_first ? last_named : first_named;
    /* the drawn person */
    PyObject *name_key = py_name_key(NULL, value);
    if (name_key == NULL)
        return NULL;
    PyObject *drawn = PyObject_CallOneArg(fake->latin_index, name_key);
    Py_DECREF(name_key);
    if (drawn == NULL)
        return NULL;
    Py_ssize_t index = PyLong_AsSsize_t(drawn);
    Py_DECREF(drawn);
    if (index < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "NameFake: a negative pool index");
        return NULL;
    }
    Py_ssize_t family_count = PyTuple_GET_SIZE(fake->latin_family), given_count = PyTuple_GET_SIZE(fake->latin_given);
    Py_ssize_t family = index / given_count, given = index % given_count;
    /* the pieces: sizes first */
    PyObject *names[LATIN_WORDS];
    Py_ssize_t size = 0, at = 0;
    int family_seen = 0, given_seen = 0;
    for (int i = 0; i < count; i++) {
        size += starts[i] - at;
        at = ends[i];
        names[i] = NULL;
        if (kinds[i] == KEEP) {
            size += ends[i] - starts[i];
            continue;
        }
        int role_family = fake->part == FAMILY || (fake->part == FULL && i == family_at);
        if (role_family)
            names[i] = PyTuple_GET_ITEM(fake->latin_family, (family + (Py_ssize_t)family_seen++ * NAME_SPREAD) % family_count);
        else
            names[i] = PyTuple_GET_ITEM(fake->latin_given, (given + (Py_ssize_t)given_seen++ * NAME_SPREAD) % given_count);
        size += kinds[i] == INITIAL ? ends[i] - starts[i] : PyUnicode_GET_LENGTH(names[i]);
    }
    size += length - at;
    if (fake->head.max_length >= 0 && size > fake->head.max_length)
        return NULL; /* the shorter forms, in Python */
    PyObject *result = PyUnicode_New(size, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    at = 0;
    for (int i = 0; i < count; i++) {
        memcpy(out, text + at, (size_t)(starts[i] - at));
        out += starts[i] - at;
        at = ends[i];
        Py_ssize_t word = ends[i] - starts[i];
        if (names[i] == NULL) {
            memcpy(out, text + starts[i], (size_t)word);
            out += word;
        }
        else {
            put_cased(out, names[i], text + starts[i], word, kinds[i] == INITIAL);
            out += kinds[i] == INITIAL ? word : PyUnicode_GET_LENGTH(names[i]);
        }
    }
    memcpy(out, text + at, (size_t)(length - at));
    *handled = 1;
    return result;
}

/* Is the drawn name the value itself, as the leak check's name key sees it? 1, 0, or -1 with an exception set. */
static int
is_own_name(PyObject *fake_name, PyObject *value)
{
    PyObject *fake_key = py_name_key(NULL, fake_name), *value_key = py_name_key(NULL, value);
    int same = -1;
    if (fake_key != NULL && value_key != NULL) {
        int order = PyUnicode_Compare(fake_key, value_key);
        same = order == -1 && PyErr_Occurred() ? -1 : order == 0;
    }
    Py_XDECREF(fake_key);
    Py_XDECREF(value_key);
    return same;
}

static PyObject *
name_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    NameFake *fake = (NameFake *)self;
    PyObject *value = args[0];
    if (fake_is_blank(value))
        return fake_fallback(&fake->head, args);
    PyObject *fake_name;
    if (!written_in_japanese(value, fake->needs)) {
        if (fake->latin_index == NULL || fake->key_column != Py_None || !PyUnicode_IS_ASCII(value))
            return fake_fallback(&fake->head, args);
        /* a name met before: the memo the Python transform keeps (a repeated name costs a lookup, not a draw) */
        PyObject *known = fake_memo_get(fake->memo, value);
        if (known != NULL)
            return Py_NewRef(known);
        if (PyErr_Occurred())
            return NULL;
        int handled;
        fake_name = latin_fake(fake, value, &handled);
        if (!handled)
            return PyErr_Occurred() ? NULL : fake_fallback(&fake->head, args);
        int same = is_own_name(fake_name, value);
        if (same != 0) {
            Py_DECREF(fake_name);
            /* its own name drawn: the Python transform steps off it */
            return same < 0 ? NULL : fake_fallback(&fake->head, args);
        }
        if (fake_memo_put(fake->memo, fake->memo_size, value, fake_name) < 0) {
            Py_DECREF(fake_name);
            return NULL;
        }
        return fake_name;
    }
    else {
        Py_ssize_t index = pool_index(fake, value, args[1]);
        if (index < 0)
            return NULL;
        fake_name = render(fake, value, index);
        if (fake_name == NULL)
            return NULL;
    }
    if (fake->head.max_length >= 0 && PyUnicode_GET_LENGTH(fake_name) > fake->head.max_length) {
        Py_DECREF(fake_name);
        return fake_fallback(&fake->head, args); /* the shorter forms, in Python */
    }
    int same = is_own_name(fake_name, value);
    if (same != 0) {
        Py_DECREF(fake_name);
        /* its own name drawn: the Python transform steps off it */
        return same < 0 ? NULL : fake_fallback(&fake->head, args);
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
    Py_XDECREF(fake->latin_index);
    Py_XDECREF(fake->latin_family);
    Py_XDECREF(fake->latin_given);
    Py_XDECREF(fake->titles);
    Py_XDECREF(fake->suffixes);
    Py_XDECREF(fake->particles);
    Py_XDECREF(fake->memo);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
name_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *index, *family, *given, *key_column, *separator, *fallback, *latin = Py_None, *memo_object = Py_None;
    int part, given_first, needs;
    Py_ssize_t max_length, memo_size = 0;
    static char *names[] = {"index",      "family", "given", "key_column", "separator", "part",      "given_first",
                            "fallback", "max_length", "needs", "latin",      "memo",      "memo_size", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO!O!OOipOni|OOn", names, &index, &PyTuple_Type, &family,
                                     &PyTuple_Type, &given, &key_column, &separator, &part, &given_first, &fallback,
                                     &max_length, &needs, &latin, &memo_object, &memo_size))
        return NULL;
    /* memo: None, or the transformer's memo dict (with memo_size, its cache_size), for the Latin names made here */
    if (memo_object != Py_None && (!PyDict_Check(memo_object) || memo_size < 1)) {
        PyErr_SetString(PyExc_TypeError, "NameFake: memo is None or a dict, with memo_size >= 1");
        return NULL;
    }
    /* latin: None, or (index, family: tuple, given: tuple, titles, suffixes, particles: frozensets, locale 0-1,
     * given_first) for the Western names of a rule keyed on the value itself, with no separator */
    PyObject *latin_index = NULL, *latin_family = NULL, *latin_given = NULL, *titles = NULL, *suffixes = NULL,
             *particles = NULL;
    int latin_locale = 0, latin_given_first = 0;
    if (latin != Py_None) {
        if (!PyTuple_Check(latin) ||
            !PyArg_ParseTuple(latin, "OO!O!O!O!O!ip", &latin_index, &PyTuple_Type, &latin_family, &PyTuple_Type,
                              &latin_given, &PyFrozenSet_Type, &titles, &PyFrozenSet_Type, &suffixes,
                              &PyFrozenSet_Type, &particles, &latin_locale, &latin_given_first) ||
            !PyCallable_Check(latin_index) || PyTuple_GET_SIZE(latin_given) == 0 ||
            PyTuple_GET_SIZE(latin_family) == 0 || (latin_locale != LATIN_AUTO && latin_locale != LATIN_EN)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "NameFake: latin is None or (index, family: tuple, given: tuple, "
                                             "titles, suffixes, particles: frozenset, locale 0-1, given_first)");
            return NULL;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(latin_family) + PyTuple_GET_SIZE(latin_given); i++) {
            PyObject *name = i < PyTuple_GET_SIZE(latin_family)
                                 ? PyTuple_GET_ITEM(latin_family, i)
                                 : PyTuple_GET_ITEM(latin_given, i - PyTuple_GET_SIZE(latin_family));
            if (!PyUnicode_Check(name) || !PyUnicode_IS_ASCII(name) || PyUnicode_GET_LENGTH(name) == 0) {
                PyErr_SetString(PyExc_TypeError, "NameFake: Western pool names must be non-empty ASCII str");
                return NULL;
            }
        }
    }
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
    fake->latin_index = Py_XNewRef(latin_index);
    fake->latin_family = Py_XNewRef(latin_family);
    fake->latin_given = Py_XNewRef(latin_given);
    fake->titles = Py_XNewRef(titles);
    fake->suffixes = Py_XNewRef(suffixes);
    fake->particles = Py_XNewRef(particles);
    fake->latin_locale = latin_locale;
    fake->latin_given_first = latin_given_first;
    if (fake_memo_argument(memo_object, &fake->memo) < 0) {
        Py_DECREF(fake);
        return NULL;
    }
    fake->memo_size = memo_size;
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
              "needs, latin=None): PersonName's fake of a name written in Japanese, and (latin) of a Western name "
              "in plain ASCII; other cases -> fallback.",
    .tp_new = name_new,
};
