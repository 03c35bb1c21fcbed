/* The person recognizer's Latin patterns' candidates (anonymize/pii/recognizers/person.py: latin_candidates_reference
 * is the definition): where _EN_TITLE ("Mr. "), _EN_LABEL ("Dear ", "Customer Name: ", "Requested by ") and _EN_SAN
 * ("Taro-san") match in finditer's order, and every start of an _EN_PAIR match ("Emily Martin"; person.py's scan
 * picks among them). A title's or a label's candidate is the _LATIN_HEAD match right after it, when there is one.
 * The regex scans tried their lookbehinds and alternatives at every character of every text with a capital, and
 * made a match object per candidate; the recognizer still decides each candidate (dictionaries, words that are
 * not names) in Python.
 *
 * _EN_LABEL: (?<!\w)(?:Dear|Hi|Hello|Attn\.?|ATTN\.?|[Cc]ustomer(?: [Nn]ame)?|[Cc]ontact(?: [Pp]erson)?|
 *   [Cc]ardholder(?: [Nn]ame)?|[Aa]ccount [Hh]older|[Nn]ame|[Cc]aller|[Ss]igned by|[Rr]equested by|[Rr]eported by|
 *   [Ss]ubmitted by|[Hh]andled by|[Aa]pproved by|[Ff]rom|[Bb]y|[Cc]c|[Tt]o|[Ss]taff|[Oo]perator|[Aa]gent)\s*:?\s+
 * No two alternatives spell the same text, so at a position at most one can match its words; an optional part is
 * tried with, then without (re's greedy `?`). \w and \s are re's for str: Py_UNICODE_ISALNUM or "_", and
 * Py_UNICODE_ISSPACE.
 * _LATIN_HEAD: (?:W)(?: (?:W)){0,2} with W = [A-Z][a-zA-Z'\-]+|[A-Z]{2,} (the second alternative matches only
 * where the first does, so a word is a capital and one or more of [a-zA-Z'-], as long as it goes: nothing after
 * the pattern makes re give characters back).
 * _EN_TITLE: \b(?P<title>Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? (a space ends it). _EN_SAN:
 * \b(?P<name>[A-Z][a-z]+)(?P<h>[- ](?:san|sama|sensei|kun))\b. _EN_PAIR: \b[A-Z][a-z]+ [A-Z][a-z]+\b. Each starts
 * with a word character, so its \b there is "no word character before"; [a-z]+ runs are maximal (what follows each
 * is not [a-z]), so a match at a position is unique. */
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

static int is_word(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c) || c == '_'; }

static int is_lower(Py_UCS4 c) { return c >= 'a' && c <= 'z'; }

/* A maximal run of [a-z] from `pos`: its end. */
static Py_ssize_t lower_run(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    while (pos < n && is_lower(PyUnicode_READ(kind, data, pos)))
        pos++;
    return pos;
}

/* _EN_TITLE at `pos` (its \b checked): its end, or -1. */
static Py_ssize_t title_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    static const char *const titles[] = {"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof"};
    for (size_t k = 0; k < sizeof titles / sizeof titles[0]; k++) {
        Py_ssize_t e = spelled(kind, data, n, pos, titles[k], 0);
        if (e < 0 || e >= n)
            continue;
        Py_UCS4 c = PyUnicode_READ(kind, data, e);
        if (c == '.' && e + 1 < n && PyUnicode_READ(kind, data, e + 1) == ' ')
            return e + 2;
        if (c == ' ')
            return e + 1;
    }
    return -1;
}

/* _EN_SAN at `pos` (its \b checked): the end of the name and of the match, or 0 for none. */
static int san_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, Py_ssize_t *name_end, Py_ssize_t *end) {
    static const char *const words[] = {"san", "sama", "sensei", "kun"};
    if (!is_upper(PyUnicode_READ(kind, data, pos)))
        return 0;
    Py_ssize_t j = lower_run(kind, data, n, pos + 1);
    if (j == pos + 1 || j >= n)
        return 0;
    Py_UCS4 c = PyUnicode_READ(kind, data, j);
    if (c != '-' && c != ' ')
        return 0;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        Py_ssize_t e = spelled(kind, data, n, j + 1, words[k], 0);
        if (e >= 0 && (e == n || !is_word(PyUnicode_READ(kind, data, e)))) {
            *name_end = j;
            *end = e;
            return 1;
        }
    }
    return 0;
}

/* _EN_PAIR at `pos` (its first \b checked): its end, or -1. */
static Py_ssize_t pair_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos) {
    if (!is_upper(PyUnicode_READ(kind, data, pos)))
        return -1;
    Py_ssize_t j = lower_run(kind, data, n, pos + 1);
    if (j == pos + 1 || j + 1 >= n || PyUnicode_READ(kind, data, j) != ' ' || !is_upper(PyUnicode_READ(kind, data, j + 1)))
        return -1;
    Py_ssize_t e = lower_run(kind, data, n, j + 2);
    if (e == j + 2 || (e < n && is_word(PyUnicode_READ(kind, data, e))))
        return -1;
    return e;
}

static int append(PyObject *found, long code, Py_ssize_t start, Py_ssize_t end, Py_ssize_t extra) {
    PyObject *item = Py_BuildValue("(lnnn)", code, start, end, extra);
    if (item == NULL)
        return -1;
    int failed = PyList_Append(found, item);
    Py_DECREF(item);
    return failed;
}

/* The candidates' codes: person.py's _TITLE, _LABEL, _SAN, _PAIR. */
enum { TITLE = 0, LABEL = 1, SAN = 2, PAIR = 3 };

PyObject *py_person_latin(PyObject *module, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "person_latin(text: str)");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    /* _SPACE_CAPITAL: a title's, a label's and a pair's candidate all hold a capital right after whitespace */
    int space_capital = 0;
    for (Py_ssize_t i = 0; i + 1 < n && !space_capital; i++)
        space_capital = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)) && is_upper(PyUnicode_READ(kind, data, i + 1));
    if (space_capital) {
        for (Py_ssize_t i = 0; i < n;) {
            Py_ssize_t end = i > 0 && is_word(PyUnicode_READ(kind, data, i - 1)) ? -1 : title_at(kind, data, n, i);
            if (end < 0) {
                i++;
                continue;
            }
            Py_ssize_t head_end = latin_head(kind, data, n, end);
            if (head_end >= 0 && append(found, TITLE, end, head_end, i) < 0)
                goto error;
            i = end;
        }
        for (Py_ssize_t i = 0; i < n;) {
            Py_ssize_t end = i > 0 && is_word(PyUnicode_READ(kind, data, i - 1)) ? -1 : label_at(kind, data, n, i);
            if (end < 0) {
                i++;
                continue;
            }
            Py_ssize_t head_end = latin_head(kind, data, n, end);
            if (head_end >= 0 && append(found, LABEL, end, head_end, 0) < 0)
                goto error;
            i = end; /* finditer: the next match starts where this one ended (never empty: \s+) */
        }
    }
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t name_end, end;
        if ((i > 0 && is_word(PyUnicode_READ(kind, data, i - 1))) || !san_at(kind, data, n, i, &name_end, &end)) {
            i++;
            continue;
        }
        if (append(found, SAN, i, name_end, end) < 0)
            goto error;
        i = end;
    }
    if (space_capital)
        for (Py_ssize_t i = 0; i < n; i++) { /* every start: scan() in person.py picks among them */
            Py_ssize_t end = i > 0 && is_word(PyUnicode_READ(kind, data, i - 1)) ? -1 : pair_at(kind, data, n, i);
            if (end >= 0 && append(found, PAIR, i, end, 0) < 0)
                goto error;
        }
    return found;
error:
    Py_DECREF(found);
    return NULL;
}
