/* The leak check's per-value work: the comparable key of a value and its keyed hashes.
 *
 * Exactly the semantics of the pure-Python functions in anonymize/leak_keys.py (leak_key, leak_keys, output_keys
 * for plain text, and `hash(salt + key)`), which stay the reference and the fallback when this module isn't
 * built; tests/anonymize/test_speedups.py holds the two to the same answers. It exists because these run
 * for every personal source value and every value written, and the interpreter's per-call cost was most of a
 * snapshot's leak check.
 *
 * Unicode classes follow CPython's own definitions, as the Python code's str methods and `re` do:
 * whitespace = Py_UNICODE_ISSPACE (str.strip/split, re's \s), \d = Py_UNICODE_ISDECIMAL, str.isdigit =
 * Py_UNICODE_ISDIGIT. NFKC and non-ASCII case folding call unicodedata.normalize and str.casefold.
 */
#include "speedups.h"

#include <string.h>

#define MIN_KEY_LENGTH 2

static PyObject *normalize_func; /* unicodedata.normalize */
static PyObject *str_nfkc;       /* "NFKC" */
static PyObject *str_casefold;   /* "casefold" */
static PyObject *str_split;      /* "split" */
static PyObject *str_space;      /* " " */

static unsigned char ascii_separator[128]; /* is_token_separator for ASCII, filled by lk_init */

/* The separators of free text: leak_keys.TOKEN_SPLIT's class, besides whitespace. */
static int
separator_of_any(Py_UCS4 c)
{
    if (Py_UNICODE_ISSPACE(c))
        return 1;
    switch (c) {
    case ',': case ';': case ':': case '(': case ')': case '[': case ']': case '{': case '}': case '<':
    case '>': case '"': case '\'': case '`': case '|': case '/': case '\\': case '!': case '?':
    case 0x3001: /* 、 */ case 0x3002: /* 。 */ case 0xFF0C: /* ， */ case 0xFF0E: /* ． */
    case 0x30FB: /* ・ */ case 0x300C: /* 「 */ case 0x300D: /* 」 */ case 0x300E: /* 『 */
    case 0x300F: /* 』 */ case 0xFF08: /* （ */ case 0xFF09: /* ） */ case 0x3010: /* 【 */
    case 0x3011: /* 】 */ case 0xFF01: /* ！ */ case 0xFF1F: /* ？ */
        return 1;
    default:
        return 0;
    }
}

#define SALTED_ON_STACK 256 /* characters of salt + key hashed without a string; longer ones are joined */

static inline int
is_token_separator(Py_UCS4 c)
{
    return c < 128 ? ascii_separator[c] : separator_of_any(c);
}

/* BMP characters that NFKC and case folding leave as they are, alone and next to each other: kana, the common
 * CJK ideographs and Japanese punctuation (checked one by one at import, see lk_init). Text made only of these and
 * ASCII -- most Japanese names and addresses -- skips the two calls into Python for NFKC and casefold. */
static unsigned char stable_bmp[0x10000 / 8];
static PyObject *collapse_whitespace(PyObject *key);

static int
is_stable(Py_UCS4 c)
{
    return c < 0x80 || (c < 0x10000 && (stable_bmp[c >> 3] >> (c & 7) & 1));
}

/* The key of a 2-byte string whose every character is ASCII or stable: stripped, ASCII lowered. NULL (no error
 * set) when the string isn't one. New reference. */
static PyObject *
stable_key(PyObject *value)
{
    if (PyUnicode_KIND(value) != PyUnicode_2BYTE_KIND)
        return NULL;
    const Py_UCS2 *data = PyUnicode_2BYTE_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    int upper = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (!is_stable(data[i]))
            return NULL;
        upper |= data[i] >= 'A' && data[i] <= 'Z';
    }
    Py_ssize_t start = 0, end = length;
    while (start < end && Py_UNICODE_ISSPACE(data[start]))
        start++;
    while (end > start && Py_UNICODE_ISSPACE(data[end - 1]))
        end--;
    if (!upper)
        return PyUnicode_Substring(value, start, end); /* the string itself when nothing was stripped */
    /* Stripping removes ASCII only: a non-ASCII (>= U+3000) character stays, so the result is 2-byte too. */
    PyObject *key = PyUnicode_New(end - start, 0xFFFF);
    if (key == NULL)
        return NULL;
    Py_UCS2 *out = PyUnicode_2BYTE_DATA(key);
    for (Py_ssize_t i = start; i < end; i++)
        out[i - start] = (data[i] >= 'A' && data[i] <= 'Z') ? (Py_UCS2)(data[i] + 32) : data[i];
    return key;
}

/* leak_key(value): NFKC (non-ASCII only), stripped, case-folded, runs of whitespace collapsed. New reference. */
PyObject *
lk_make_key(PyObject *value)
{
    PyObject *text;
    if (PyUnicode_IS_ASCII(value)) {
        Py_INCREF(value);
        text = value;
    }
    else if ((text = stable_key(value)) != NULL)
        return collapse_whitespace(text); /* already NFKC, stripped and folded */
    else if (PyErr_Occurred())
        return NULL;
    else {
        text = PyObject_CallFunctionObjArgs(normalize_func, str_nfkc, value, NULL);
        if (text == NULL)
            return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t start = 0, end = length;
    while (start < end && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start)))
        start++;
    while (end > start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1)))
        end--;

    PyObject *key;
    if (PyUnicode_IS_ASCII(text)) {
        /* casefold() of ASCII is lower() */
        const Py_UCS1 *bytes = PyUnicode_1BYTE_DATA(text);
        int upper = 0;
        for (Py_ssize_t i = start; i < end; i++) {
            if (bytes[i] >= 'A' && bytes[i] <= 'Z') {
                upper = 1;
                break;
            }
        }
        if (!upper && start == 0 && end == length) {
            key = text;
            Py_INCREF(key);
        }
        else {
            key = PyUnicode_New(end - start, 127);
            if (key != NULL) {
                Py_UCS1 *out = PyUnicode_1BYTE_DATA(key);
                for (Py_ssize_t i = start; i < end; i++) {
                    Py_UCS1 c = bytes[i];
                    out[i - start] = (c >= 'A' && c <= 'Z') ? (Py_UCS1)(c + 32) : c;
                }
            }
        }
    }
    else {
        PyObject *stripped = PyUnicode_Substring(text, start, end);
        if (stripped == NULL) {
            Py_DECREF(text);
            return NULL;
        }
        key = PyObject_CallMethodNoArgs(stripped, str_casefold);
        Py_DECREF(stripped);
    }
    Py_DECREF(text);
    if (key == NULL)
        return NULL;
    return collapse_whitespace(key);
}

/* `if "  " in key or "\t" in key or "\n" in key or "\r" in key: key = " ".join(key.split())`. Steals `key`. */
static PyObject *
collapse_whitespace(PyObject *key)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(key);
    int kind = PyUnicode_KIND(key);
    const void *data = PyUnicode_DATA(key);
    int collapse = 0;
    /* One loop per string kind: the test is cheap, reading through PyUnicode_READ's switch per character wasn't. */
#define FIND_RUN(T)                                                                                                  \
    {                                                                                                                \
        const T *chars = (const T *)data;                                                                            \
        for (Py_ssize_t i = 0; i < length && !collapse; i++)                                                         \
            collapse = chars[i] <= ' ' && (chars[i] == '\t' || chars[i] == '\n' || chars[i] == '\r' ||                 \
                                           (chars[i] == ' ' && i + 1 < length && chars[i + 1] == ' '));              \
    }
    if (kind == PyUnicode_1BYTE_KIND)
        FIND_RUN(Py_UCS1)
    else if (kind == PyUnicode_2BYTE_KIND)
        FIND_RUN(Py_UCS2)
    else
        FIND_RUN(Py_UCS4)
#undef FIND_RUN
    if (collapse) {
        PyObject *words = PyObject_CallMethodNoArgs(key, str_split);
        Py_DECREF(key);
        if (words == NULL)
            return NULL;
        key = PyUnicode_Join(str_space, words);
        Py_DECREF(words);
    }
    return key;
}

/* The bare digits of a phone/card/account-shaped key (`#` + digits, 10+ of them), or None. New reference. */
static PyObject *
digit_key(PyObject *key)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(key);
    int kind = PyUnicode_KIND(key);
    const void *data = PyUnicode_DATA(key);
    Py_UCS4 first = PyUnicode_READ(kind, data, 0);
    if (!(Py_UNICODE_ISDIGIT(first) || first == '+'))
        Py_RETURN_NONE;
    /* _PHONE_LIKE: ^\+?[\d\s\-().]+$ */
    Py_ssize_t i = first == '+' ? 1 : 0;
    if (i >= length)
        Py_RETURN_NONE;
    Py_ssize_t digits = 0;
    Py_UCS4 maxchar = '#';
    for (Py_ssize_t j = i; j < length; j++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        if (IS_DECIMAL(c)) {
            digits++;
            if (c > maxchar)
                maxchar = c;
        }
        else if (!(Py_UNICODE_ISSPACE(c) || c == '-' || c == '(' || c == ')' || c == '.'))
            Py_RETURN_NONE;
    }
    /* `if key.startswith("+81"): digits = "0" + digits[2:]` (the 8 and the 1 are the first two digits) */
    int country = length >= 3 && first == '+' && PyUnicode_READ(kind, data, 1) == '8' &&
                  PyUnicode_READ(kind, data, 2) == '1';
    Py_ssize_t kept = country ? digits - 2 + 1 : digits;
    if (kept < 10)
        Py_RETURN_NONE;
    PyObject *result = PyUnicode_New(kept + 1, maxchar);
    if (result == NULL)
        return NULL;
    int out_kind = PyUnicode_KIND(result);
    void *out = PyUnicode_DATA(result);
    Py_ssize_t at = 0;
    PyUnicode_WRITE(out_kind, out, at++, '#');
    if (country)
        PyUnicode_WRITE(out_kind, out, at++, '0');
    Py_ssize_t skip = country ? 2 : 0;
    for (Py_ssize_t j = i; j < length; j++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, j);
        if (IS_DECIMAL(c)) {
            if (skip) {
                skip--;
                continue;
            }
            PyUnicode_WRITE(out_kind, out, at++, c);
        }
    }
    return result;
}

/* Appends leak_keys(value) to `keys` (a list). Returns 0 on success. */
int
lk_append_keys(PyObject *keys, PyObject *value)
{
    PyObject *key = lk_make_key(value);
    if (key == NULL)
        return -1;
    if (PyUnicode_GET_LENGTH(key) < MIN_KEY_LENGTH) {
        Py_DECREF(key);
        return 0;
    }
    PyObject *digits = digit_key(key);
    if (digits == NULL || PyList_Append(keys, key) < 0) {
        Py_DECREF(key);
        Py_XDECREF(digits);
        return -1;
    }
    Py_DECREF(key);
    int failed = digits != Py_None && PyList_Append(keys, digits) < 0;
    Py_DECREF(digits);
    return failed ? -1 : 0;
}

/* hash(salt + key), as Python computes it: the index and the scan may hash with either implementation. -1 on
 * error. */
Py_hash_t
lk_salted_hash(PyObject *salt, PyObject *key)
{
    /* str's hash is _Py_HashBytes over its code units (of the wider kind of the two: the key's, next to an ASCII
     * salt): hashed here from a stack buffer, without the concatenated string. */
    Py_ssize_t salt_length = PyUnicode_GET_LENGTH(salt), key_length = PyUnicode_GET_LENGTH(key);
    int kind = PyUnicode_KIND(key);
    if (PyUnicode_IS_ASCII(salt) && salt_length + key_length <= SALTED_ON_STACK) {
        union {
            Py_UCS1 one[SALTED_ON_STACK];
            Py_UCS2 two[SALTED_ON_STACK];
            Py_UCS4 four[SALTED_ON_STACK];
        } units;
        const Py_UCS1 *salt_chars = PyUnicode_1BYTE_DATA(salt);
        for (Py_ssize_t i = 0; i < salt_length; i++) {
            if (kind == PyUnicode_1BYTE_KIND)
                units.one[i] = salt_chars[i];
            else if (kind == PyUnicode_2BYTE_KIND)
                units.two[i] = salt_chars[i];
            else
                units.four[i] = salt_chars[i];
        }
        memcpy((char *)&units + salt_length * kind, PyUnicode_DATA(key), (size_t)(key_length * kind));
        return _Py_HashBytes(&units, (salt_length + key_length) * kind);
    }
    PyObject *joined = PyUnicode_Concat(salt, key);
    if (joined == NULL)
        return -1;
    Py_hash_t hashed = PyObject_Hash(joined);
    Py_DECREF(joined);
    return hashed;
}

static int
check_str(PyObject *value, const char *what)
{
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", what, Py_TYPE(value)->tp_name);
        return -1;
    }
    return 0;
}

/* keyed.name_key: `"".join(NFKC(value).split()).casefold()` -- a person's or company's name with its whitespace
 * removed, as names are keyed. ASCII and stable kana/kanji text is done here; the rest goes through Python. */
PyObject *
py_name_key(PyObject *module, PyObject *value)
{
    if (check_str(value, "value") < 0)
        return NULL;
    int kind = PyUnicode_KIND(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    const void *data = PyUnicode_DATA(value);
    int plain = PyUnicode_IS_ASCII(value) || kind == PyUnicode_2BYTE_KIND;
    for (Py_ssize_t i = 0; plain && i < length; i++)
        plain = is_stable(PyUnicode_READ(kind, data, i));
    if (plain) {
        Py_ssize_t kept = 0;
        for (Py_ssize_t i = 0; i < length; i++)
            kept += !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        /* Removing ASCII spaces leaves every non-ASCII (>= U+3000) character: the kind stays as it was. */
        PyObject *key = PyUnicode_New(kept, PyUnicode_IS_ASCII(value) ? 127 : 0xFFFF);
        if (key == NULL)
            return NULL;
        Py_ssize_t at = 0;
        for (Py_ssize_t i = 0; i < length; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (!Py_UNICODE_ISSPACE(c))
                PyUnicode_WRITE(kind, PyUnicode_DATA(key), at++, (c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        return key;
    }
    PyObject *text = PyObject_CallFunctionObjArgs(normalize_func, str_nfkc, value, NULL);
    PyObject *words = text ? PyObject_CallMethodNoArgs(text, str_split) : NULL;
    Py_XDECREF(text);
    PyObject *empty = words ? PyUnicode_FromStringAndSize("", 0) : NULL;
    PyObject *joined = empty ? PyUnicode_Join(empty, words) : NULL;
    Py_XDECREF(words);
    Py_XDECREF(empty);
    PyObject *key = joined ? PyObject_CallMethodNoArgs(joined, str_casefold) : NULL;
    Py_XDECREF(joined);
    return key;
}

PyObject *
py_leak_key(PyObject *module, PyObject *value)
{
    if (check_str(value, "value") < 0)
        return NULL;
    return lk_make_key(value);
}

PyObject *
py_leak_keys(PyObject *module, PyObject *value)
{
    if (check_str(value, "value") < 0)
        return NULL;
    PyObject *keys = PyList_New(0);
    if (keys == NULL || lk_append_keys(keys, value) < 0) {
        Py_XDECREF(keys);
        return NULL;
    }
    return keys;
}

PyObject *
py_hashed_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "hashed_keys(value, salt) takes 2 arguments");
        return NULL;
    }
    if (check_str(args[0], "value") < 0 || check_str(args[1], "salt") < 0)
        return NULL;
    PyObject *keys = PyList_New(0);
    if (keys == NULL || lk_append_keys(keys, args[0]) < 0) {
        Py_XDECREF(keys);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *result = PyTuple_New(n ? n + 1 : 0);
    if (result == NULL) {
        Py_DECREF(keys);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        Py_hash_t hashed = lk_salted_hash(args[1], key);
        PyObject *number = (hashed == -1 && PyErr_Occurred()) ? NULL : PyLong_FromSsize_t(hashed);
        if (number == NULL) {
            Py_DECREF(keys);
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i + 1, number);
    }
    if (n) {
        PyObject *first = PyList_GET_ITEM(keys, 0);
        Py_INCREF(first);
        PyTuple_SET_ITEM(result, 0, first);
    }
    Py_DECREF(keys);
    return result;
}

/* output_keys(value) for plain text: the whole value's keys, then each token's between separators. */
PyObject *
lk_text_output_keys(PyObject *value)
{
    PyObject *keys = PyList_New(0);
    if (keys == NULL || lk_append_text_output_keys(keys, value) < 0) {
        Py_XDECREF(keys);
        return NULL;
    }
    return keys;
}

/* lk_text_output_keys(value) appended to `keys` (json_walk.c's json_output_keys: one list for a whole document). */
int
lk_append_text_output_keys(PyObject *keys, PyObject *value)
{
    if (lk_append_keys(keys, value) < 0)
        return -1;
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    Py_ssize_t start = 0;
    int separated = 0;
    for (Py_ssize_t i = 0; i <= length; i++) {
        if (i < length && !is_token_separator(PyUnicode_READ(kind, data, i)))
            continue;
        if (i < length)
            separated = 1;
        if (separated && i > start) {
            PyObject *token = PyUnicode_Substring(value, start, i);
            if (token == NULL)
                return -1;
            int failed = lk_append_keys(keys, token);
            Py_DECREF(token);
            if (failed < 0)
                return -1;
        }
        start = i + 1;
    }
    return 0;
}

/* ---- output_keys hashed in place: text of ASCII and stable characters (most fakes: emails, numbers, names,
 * streets) is its own NFKC and case fold but for ASCII capitals, so each key is a run of the value, lowered: hashed
 * as `hash(salt + key)` from a stack buffer of the key's own width, with no string or list per key. */

#define IN_PLACE_MAX 1024 /* characters of value; longer ones go through the strings */
#define SALT_MAX 64

typedef struct {
    int kind;                       /* the value's */
    const void *data;
    const Py_UCS1 *salt;
    Py_ssize_t salt_length;
    Buffer *out;
} InPlace;

static int
push_int64(Buffer *out, Py_hash_t hashed)
{
    int64_t value = (int64_t)hashed;
    return buffer_push(out, &value);
}

/* hash(salt + key) of `length` code points that all fit `kind` (1: ASCII, 2: BMP). */
static Py_hash_t
hash_salted(const InPlace *h, const Py_UCS4 *key, Py_ssize_t length, int kind)
{
    union {
        Py_UCS1 one[SALT_MAX + IN_PLACE_MAX + 2];
        Py_UCS2 two[SALT_MAX + IN_PLACE_MAX + 2];
    } units;
    for (Py_ssize_t i = 0; i < h->salt_length + length; i++) {
        Py_UCS4 c = i < h->salt_length ? h->salt[i] : key[i - h->salt_length];
        if (kind == PyUnicode_1BYTE_KIND)
            units.one[i] = (Py_UCS1)c;
        else
            units.two[i] = (Py_UCS2)c;
    }
    return _Py_HashBytes(&units, (h->salt_length + length) * kind);
}

/* leak_keys of the run [start, end) of the value, already stripped: its key (lowered) and, phone-shaped with 10+
 * digits, "#" + its digits, as digit_key makes it. */
static int
push_run_keys(const InPlace *h, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t length = end - start;
    if (length < MIN_KEY_LENGTH)
        return 0;
    Py_UCS4 key[IN_PLACE_MAX];
    Py_UCS4 widest = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(h->kind, h->data, start + i);
        key[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        widest = key[i] > widest ? key[i] : widest;
    }
    if (push_int64(h->out, hash_salted(h, key, length, widest < 128 ? PyUnicode_1BYTE_KIND : PyUnicode_2BYTE_KIND)) < 0)
        return -1;
    /* digit_key: ^\+?[\d\s\-().]+$ with 10+ digits (+81 written as a leading 0) */
    Py_UCS4 first = key[0];
    if (!(Py_UNICODE_ISDIGIT(first) || first == '+'))
        return 0;
    Py_ssize_t i = first == '+' ? 1 : 0, digits = 0;
    for (Py_ssize_t j = i; j < length; j++) {
        if (IS_DECIMAL(key[j]))
            digits++;
        else if (!(Py_UNICODE_ISSPACE(key[j]) || key[j] == '-' || key[j] == '(' || key[j] == ')' || key[j] == '.'))
            return 0;
    }
    int country = length >= 3 && first == '+' && key[1] == '8' && key[2] == '1';
    if ((country ? digits - 1 : digits) < 10)
        return 0;
    Py_UCS4 digit_key[IN_PLACE_MAX + 2];
    Py_ssize_t at = 0, skip = country ? 2 : 0;
    digit_key[at++] = '#';
    if (country)
        digit_key[at++] = '0';
    widest = '#';
    for (Py_ssize_t j = i; j < length; j++) {
        if (!IS_DECIMAL(key[j]))
            continue;
        if (skip) {
            skip--;
            continue;
        }
        digit_key[at++] = key[j];
        widest = key[j] > widest ? key[j] : widest;
    }
    if (widest > 0xFFFF) /* not from ASCII or stable text: can't happen, but don't guess */
        return -2;
    return push_int64(h->out, hash_salted(h, digit_key, at, widest < 128 ? PyUnicode_1BYTE_KIND : PyUnicode_2BYTE_KIND));
}

/* Whether the value is keyed in place: ASCII, or 2-byte text of stable characters, short enough; and its stripped
 * whole key needs no whitespace collapsed. */
static int
in_place(PyObject *value, PyObject *salt, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (!PyUnicode_IS_ASCII(salt) || PyUnicode_GET_LENGTH(salt) > SALT_MAX || length > IN_PLACE_MAX)
        return 0;
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    if (!PyUnicode_IS_ASCII(value)) {
        if (kind != PyUnicode_2BYTE_KIND)
            return 0;
        for (Py_ssize_t i = 0; i < length; i++)
            if (!is_stable(((const Py_UCS2 *)data)[i]))
                return 0;
    }
    *start = 0;
    *end = length;
    while (*start < *end && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, *start)))
        (*start)++;
    while (*end > *start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, *end - 1)))
        (*end)--;
    for (Py_ssize_t i = *start; i < *end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\t' || c == '\n' || c == '\r' || (c == ' ' && i + 1 < *end && PyUnicode_READ(kind, data, i + 1) == ' '))
            return 0;
    }
    return 1;
}

/* text_output_hashes(value, salt) appended to `out` (int64s): in place when it can be, else through the keys. */
int
lk_output_hashes(PyObject *value, PyObject *salt, Buffer *out)
{
    Py_ssize_t start, end, before = out->size;
    if (in_place(value, salt, &start, &end)) {
        InPlace h = {PyUnicode_KIND(value), PyUnicode_DATA(value), PyUnicode_1BYTE_DATA(salt),
                     PyUnicode_GET_LENGTH(salt), out};
        int failed = push_run_keys(&h, start, end);
        Py_ssize_t length = PyUnicode_GET_LENGTH(value), token = 0;
        int separated = 0;
        for (Py_ssize_t i = 0; i <= length && failed == 0; i++) {
            if (i < length && !is_token_separator(PyUnicode_READ(h.kind, h.data, i)))
                continue;
            separated |= i < length;
            if (separated && i > token)
                failed = push_run_keys(&h, token, i);
            token = i + 1;
        }
        if (failed == -1)
            return -1;
        if (failed == 0)
            return 0;
        out->size = before; /* -2: start over through the strings */
    }
    PyObject *keys = lk_text_output_keys(value);
    if (keys == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        Py_hash_t hashed = lk_salted_hash(salt, PyList_GET_ITEM(keys, i));
        if ((hashed == -1 && PyErr_Occurred()) || push_int64(out, hashed) < 0) {
            Py_DECREF(keys);
            return -1;
        }
    }
    Py_DECREF(keys);
    return 0;
}

PyObject *
py_text_output_keys(PyObject *module, PyObject *value)
{
    if (check_str(value, "value") < 0)
        return NULL;
    return lk_text_output_keys(value);
}

PyObject *
py_text_output_hashes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "text_output_hashes(value, salt) takes 2 arguments");
        return NULL;
    }
    if (check_str(args[0], "value") < 0 || check_str(args[1], "salt") < 0)
        return NULL;
    Buffer hashes = {NULL, 0, 0, 8};
    PyObject *result = lk_output_hashes(args[0], args[1], &hashes) < 0 ? NULL : PyList_New(hashes.size);
    for (Py_ssize_t i = 0; result != NULL && i < hashes.size; i++) {
        int64_t hashed;
        memcpy(&hashed, hashes.data + 8 * i, 8);
        PyObject *number = PyLong_FromLongLong(hashed);
        if (number == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, i, number);
    }
    PyMem_Free(hashes.data);
    return result;
}

/* Hiragana, katakana (without the digraphs and the voicing marks that NFKC rewrites), CJK punctuation and
 * brackets, and the CJK Unified Ideographs block. A character is only taken when the running interpreter's Unicode
 * data confirm that NFKC and casefold leave it as it is, that it combines with nothing, and isn't whitespace; a
 * string of these can't compose across characters (no combining marks, no Hangul jamo among them). */
static const Py_UCS4 stable_ranges[][2] = {
    {0x3001, 0x3003}, {0x3005, 0x3007}, {0x3008, 0x3011}, {0x3041, 0x3096}, {0x30A1, 0x30FA}, {0x30FB, 0x30FE},
    {0x4E00, 0x9FFF},
};

static int
build_stable_bmp(void)
{
    PyObject *unicodedata = PyImport_ImportModule("unicodedata");
    if (unicodedata == NULL)
        return -1;
    PyObject *combining = PyObject_GetAttrString(unicodedata, "combining");
    Py_DECREF(unicodedata);
    if (combining == NULL)
        return -1;
    int failed = 0;
    for (size_t r = 0; r < sizeof(stable_ranges) / sizeof(stable_ranges[0]) && !failed; r++) {
        for (Py_UCS4 c = stable_ranges[r][0]; c <= stable_ranges[r][1] && !failed; c++) {
            PyObject *ch = PyUnicode_FromOrdinal(c);
            PyObject *nfkc = ch ? PyObject_CallFunctionObjArgs(normalize_func, str_nfkc, ch, NULL) : NULL;
            PyObject *folded = ch ? PyObject_CallMethodNoArgs(ch, str_casefold) : NULL;
            PyObject *klass = ch ? PyObject_CallOneArg(combining, ch) : NULL;
            if (nfkc == NULL || folded == NULL || klass == NULL)
                failed = 1;
            else if (PyUnicode_Compare(nfkc, ch) == 0 && PyUnicode_Compare(folded, ch) == 0 &&
                     PyLong_AsLong(klass) == 0 && !Py_UNICODE_ISSPACE(c))
                stable_bmp[c >> 3] |= (unsigned char)(1 << (c & 7));
            Py_XDECREF(ch);
            Py_XDECREF(nfkc);
            Py_XDECREF(folded);
            Py_XDECREF(klass);
        }
    }
    Py_DECREF(combining);
    return failed ? -1 : 0;
}

int
lk_init(void)
{
    PyObject *unicodedata = PyImport_ImportModule("unicodedata");
    if (unicodedata == NULL)
        return -1;
    normalize_func = PyObject_GetAttrString(unicodedata, "normalize");
    Py_DECREF(unicodedata);
    str_nfkc = PyUnicode_InternFromString("NFKC");
    str_casefold = PyUnicode_InternFromString("casefold");
    str_split = PyUnicode_InternFromString("split");
    str_space = PyUnicode_InternFromString(" ");
    if (normalize_func == NULL || str_nfkc == NULL || str_casefold == NULL || str_split == NULL || str_space == NULL)
        return -1;
    for (Py_UCS4 c = 0; c < 128; c++)
        ascii_separator[c] = (unsigned char)separator_of_any(c);
    return build_stable_bmp();
}
