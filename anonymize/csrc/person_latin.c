/* The person recognizer's Latin labels (anonymize/pii/recognizers/person.py: `_label_heads` is the reference):
 * where _EN_LABEL matches ("Dear ", "Customer Name: ", "Requested by "), in finditer's order, and the _LATIN_HEAD
 * match right after it when there is one. The regex scan tried its lookbehind and alternatives at every character
 * of every text with a capital after a space, and made a match object per label found.
 *
 * _EN_LABEL: (?<!\w)(?:Dear|Hi|Hello|Attn\.?|ATTN\.?|[Cc]ustomer(?: [Nn]ame)?|[Cc]ontact(?: [Pp]erson)?|
 *   [Cc]ardholder(?: [Nn]ame)?|[Aa]ccount [Hh]older|[Nn]ame|[Cc]aller|[Ss]igned by|[Rr]equested by|[Rr]eported by|
 *   [Ss]ubmitted by|[Hh]andled by|[Aa]pproved by|[Ff]rom|[Bb]y|[Cc]c|[Tt]o|[Ss]taff|[Oo]perator|[Aa]gent)\s*:?\s+
 * No two alternatives spell the same text, so at a position at most one can match its words; an optional part is
 * tried with, then without (re's greedy `?`). \w and \s are re's for str: Py_UNICODE_ISALNUM or "_", and
 * Py_UNICODE_ISSPACE.
 * _LATIN_HEAD: (?:W)(?: (?:W)){0,2} with W = [A-Z][a-zA-Z'\-]+|[A-Z]{2,} (the second alternative matches only
 * where the first does, so a word is a capital and one or more of [a-zA-Z'-], as long as it goes: nothing after
 * the pattern makes re give characters back). */
#include "speedups.h"

typedef struct {
    const char *word;   /* its first letter: either case when `fold` */
    int fold;           /* [Xx]: the first letter in either case */
    const char *option; /* an optional part after the word (tried first), or NULL */
} Label;

/* _EN_LABEL's alternatives in its order. Attn\.? and ATTN\.? are the word with the option ".". */
static const Label labels[] = {
    {"Dear", 0, NULL},          {"Hi", 0, NULL},           {"Hello", 0, NULL},        {"Attn", 0, "."},
    {"ATTN", 0, "."},           {"customer", 1, " [n]ame"}, {"contact", 1, " [p]erson"}, {"cardholder", 1, " [n]ame"},
    {"account [h]older", 1, NULL}, {"name", 1, NULL},      {"caller", 1, NULL},       {"signed by", 1, NULL},
    {"requested by", 1, NULL},  {"reported by", 1, NULL},  {"submitted by", 1, NULL}, {"handled by", 1, NULL},
    {"approved by", 1, NULL},   {"from", 1, NULL},         {"by", 1, NULL},           {"cc", 1, NULL},
    {"to", 1, NULL},            {"staff", 1, NULL},        {"operator", 1, NULL},     {"agent", 1, NULL},
};

/* Does `spelling` match at `pos`: letters as written, except "[x]" (x or X) and a folded first letter. Returns the
 * end, or -1. */
static Py_ssize_t spelled(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, const char *spelling, int fold) {
    Py_ssize_t i = pos;
    for (const char *s = spelling; *s; s++, i++) {
        if (i >= n)
            return -1;
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        char want = *s;
        int either = 0;
        if (want == '[') {
            want = s[1];
            either = 1;
            s += 2;
        } else if (fold && s == spelling) {
            either = 1;
        }
        if (either ? (c != (Py_UCS4)want && c != (Py_UCS4)(want - 'a' + 'A')) : c != (Py_UCS4)want)
            return -1;
    }
    return i;
}

/* _EN_LABEL's tail \s*:?\s+ from `pos`: its end, or -1. */
static Py_ssize_t label_tail(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    Py_ssize_t a = pos;
    while (a < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a)))
        a++;
    if (a + 1 < n && PyUnicode_READ(kind, data, a) == ':' && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a + 1))) {
        Py_ssize_t e = a + 1;
        while (e < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, e)))
            e++;
        return e;
    }
    return a > pos ? a : -1; /* \s* gives its last space back to \s+ */
}

/* _EN_LABEL's match at `pos` (its lookbehind already checked): its end, or -1. */
static Py_ssize_t label_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        const Label *label = &labels[k];
        Py_ssize_t word_end = spelled(kind, data, n, pos, label->word, label->fold);
        if (word_end < 0)
            continue;
        if (label->option != NULL) {
            Py_ssize_t option_end = spelled(kind, data, n, word_end, label->option, 0);
            Py_ssize_t end = option_end < 0 ? -1 : label_tail(kind, data, n, option_end);
            if (end >= 0)
                return end;
        }
        return label_tail(kind, data, n, word_end); /* no other alternative spells this word */
    }
    return -1;
}

static int is_upper(Py_UCS4 c) { return c >= 'A' && c <= 'Z'; }

static int is_word_rest(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'' || c == '-';
}

/* _LATIN_HEAD's word at `pos`: its end, or -1. */
static Py_ssize_t latin_word(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    if (pos + 1 >= n || !is_upper(PyUnicode_READ(kind, data, pos)) || !is_word_rest(PyUnicode_READ(kind, data, pos + 1)))
        return -1;
    Py_ssize_t i = pos + 2;
    while (i < n && is_word_rest(PyUnicode_READ(kind, data, i)))
        i++;
    return i;
}

/* _LATIN_HEAD.match at `pos`: its end, or -1. */
static Py_ssize_t latin_head(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    Py_ssize_t end = latin_word(kind, data, n, pos);
    for (int more = 0; more < 2 && end >= 0 && end < n && PyUnicode_READ(kind, data, end) == ' '; more++) {
        Py_ssize_t next = latin_word(kind, data, n, end + 1);
        if (next < 0)
            break;
        end = next;
    }
    return end;
}

PyObject *py_person_label_heads(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "person_label_heads(text: str)");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 before = i > 0 ? PyUnicode_READ(kind, data, i - 1) : ' ';
        Py_ssize_t end = Py_UNICODE_ISALNUM(before) || before == '_' ? -1 : label_at(kind, data, n, i);
        if (end < 0) {
            i++;
            continue;
        }
        Py_ssize_t head_end = latin_head(kind, data, n, end);
        if (head_end >= 0) {
            PyObject *pair = Py_BuildValue("(nn)", end, head_end);
            if (pair == NULL || PyList_Append(found, pair) < 0) {
                Py_XDECREF(pair);
                Py_DECREF(found);
                return NULL;
            }
            Py_DECREF(pair);
        }
        i = end; /* finditer: the next match starts where this one ended (never empty: \s+) */
    }
    return found;
}
