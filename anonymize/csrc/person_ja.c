/* The person recognizer's full names with no cue (鈴木一郎から電話): anonymize/pii/recognizers/person.py's
 * ja_full_name_reference is the definition. From each start in order, each dictionary surname the text spells
 * there (longest first), an optional space (" " or U+3000), then the first pool given name spelled there (longest
 * first) that ends the name (_name_ends: not inside a longer kanji or katakana word, and a name ending in
 * hiragana followed by hiragana only before one of `after_kana`). The Python loops made a tuple of the candidates
 * and a startswith call per dictionary entry with the right first character (most of a Japanese note's time in the
 * recognizer). */
#include "speedups.h"

static int is_kanji_or_katakana(Py_UCS4 c) {
    /* person.py's [{KANJI}{KATAKANA}]: KANJI = \u3400-\u4dbf \u4e00-\u9fff \uf900-\ufaff 々 〆 ヵ ヶ,
     * KATAKANA = \u30a1-\u30fa \u30fc-\u30fe */
    return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
           c == 0x3005 || c == 0x3006 || (c >= 0x30a1 && c <= 0x30fa) || (c >= 0x30fc && c <= 0x30fe);
}

static int is_hiragana(Py_UCS4 c) { return c >= 0x3041 && c <= 0x3096; }

/* The tuple of `by_first` for text[pos] (borrowed; NULL when none, or on error with an exception set). */
static PyObject *entries_at(PyObject *text, Py_ssize_t pos, PyObject *by_first) {
    if (pos >= PyUnicode_GET_LENGTH(text))
        return NULL;
    PyObject *key = PyUnicode_Substring(text, pos, pos + 1);
    if (key == NULL)
        return NULL;
    PyObject *entries = PyDict_GetItemWithError(by_first, key);
    Py_DECREF(key);
    if (entries != NULL && !PyTuple_Check(entries)) {
        PyErr_SetString(PyExc_TypeError, "person_ja_full_name: a table maps a character to a tuple of str");
        return NULL;
    }
    return entries;
}

/* Does `text` spell `entry` (a str) from `pos`? 1, 0, or -1 on error. */
static int spells(PyObject *text, Py_ssize_t pos, PyObject *entry) {
    if (!PyUnicode_Check(entry)) {
        PyErr_SetString(PyExc_TypeError, "person_ja_full_name: a table's entries are str");
        return -1;
    }
    Py_ssize_t found = PyUnicode_Tailmatch(text, entry, pos, PY_SSIZE_T_MAX, -1);
    return found < 0 ? -1 : (int)found;
}

/* _name_ends: 1, 0, or -1 on error. */
static int name_ends(PyObject *text, Py_ssize_t end, PyObject *given, PyObject *after_kana) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (end >= n)
        return 1;
    Py_UCS4 after = PyUnicode_READ_CHAR(text, end);
    if (is_kanji_or_katakana(after))
        return 0;
    Py_ssize_t given_length = PyUnicode_GET_LENGTH(given);
    if (is_hiragana(after) && given_length > 0 && is_hiragana(PyUnicode_READ_CHAR(given, given_length - 1))) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(after_kana); i++) {
            int hit = spells(text, end, PyTuple_GET_ITEM(after_kana, i));
            if (hit != 0)
                return hit;
        }
        return 0;
    }
    return 1;
}

PyObject *py_person_ja_full_name(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyUnicode_Check(args[0]) || !PyList_Check(args[1]) || !PyDict_Check(args[2]) ||
        !PyDict_Check(args[3]) || !PyTuple_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "person_ja_full_name(text: str, starts: list[int], surnames_by_first: dict, "
                                         "given_by_first: dict, after_kana: tuple[str, ...])");
        return NULL;
    }
    PyObject *text = args[0], *starts = args[1], *surnames = args[2], *givens = args[3], *after_kana = args[4];
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(starts); s++) {
        Py_ssize_t start = PyLong_AsSsize_t(PyList_GET_ITEM(starts, s));
        if (start == -1 && PyErr_Occurred())
            return NULL;
        if (start < 0 || start >= n)
            continue; /* no character there: no surname (the reference's text[start:start + 1] is empty) */
        PyObject *candidates = entries_at(text, start, surnames);
        if (candidates == NULL) {
            if (PyErr_Occurred())
                return NULL;
            continue;
        }
        Py_INCREF(candidates); /* the loop below may run Python code (a str subclass's comparison): keep it alive */
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(candidates); k++) {
            PyObject *surname = PyTuple_GET_ITEM(candidates, k);
            int hit = spells(text, start, surname);
            if (hit < 0)
                goto error_candidates;
            if (!hit)
                continue;
            Py_ssize_t middle = start + PyUnicode_GET_LENGTH(surname);
            Py_UCS4 next = middle < n ? PyUnicode_READ_CHAR(text, middle) : 0;
            Py_ssize_t from = middle + (middle < n && (next == ' ' || next == 0x3000));
            PyObject *names = entries_at(text, from, givens);
            if (names == NULL) {
                if (PyErr_Occurred())
                    goto error_candidates;
                continue;
            }
            for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(names); g++) {
                PyObject *given = PyTuple_GET_ITEM(names, g);
                int spelled = spells(text, from, given);
                if (spelled < 0)
                    goto error_candidates;
                if (!spelled)
                    continue;
                Py_ssize_t end = from + PyUnicode_GET_LENGTH(given);
                int ends = name_ends(text, end, given, after_kana);
                if (ends < 0)
                    goto error_candidates;
                if (ends) {
                    Py_DECREF(candidates);
                    return Py_BuildValue("(nn)", start, end);
                }
            }
        }
        Py_DECREF(candidates);
        continue;
    error_candidates:
        Py_DECREF(candidates);
        return NULL;
    }
    Py_RETURN_NONE;
}
