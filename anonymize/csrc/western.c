/* transformers.western_address.WesternAddresses in C, for transformers.address.Address's C fake (address.c): the
 * Western fake of a street line, building line or postal code written in printable ASCII (no tab, no newline
 * inside), keyed on an ASCII key, on its first draw. Everything else (other text, a fake equal to its value: the
 * redraws, a line with nothing to change) is the Python transform's. Each choice is WesternAddresses' own: the
 * same keyed digests of "<text_key(key)>\0<attempt>\0<round>" read as one big number that `below` divides. */
#include "speedups.h"

#include <string.h>

#define LINE_TOKENS 64   /* tokens of a line handled here; more: Python */
#define KEY_BYTES 512    /* a draw key's text_key, with room for its suffix; longer: Python */
#define LIMBS 6          /* 2^384: a draw's number never passes 2^(256 + 8 + 17) (below's sizes stay < 2^17) */

static const char UK_FIRST[] = "ABCDEFGHIJKLMNOPRSTUWYZ", UK_SECOND[] = "ABCDEFGHKLMNOPQRSTUVWXY",
                  UK_THIRD[] = "ABCDEFGHJKPSTUW", UK_FOURTH[] = "ABEHMNPRVWXY", UK_INWARD[] = "ABDEFGHJLNPQRSTUWXYZ",
                  LETTERS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* _Draws: keyed numbers drawn one after another from the key's digests */
typedef struct {
    PyObject *digest;
    char key[KEY_BYTES + 32]; /* text_key(key) \0 attempt \0, the round appended per digest */
    Py_ssize_t key_length;
    unsigned long long limb[LIMBS]; /* the number, least significant limb first */
    int round;
} Draws;

static int
draws_init(Draws *draws, PyObject *digest, const char *key, Py_ssize_t length, int attempt)
{
    if (length > KEY_BYTES)
        return 0;
    draws->digest = digest;
    memcpy(draws->key, key, (size_t)length);
    draws->key[length] = '\0';
    draws->key[length + 1] = (char)('0' + attempt);
    draws->key[length + 2] = '\0';
    draws->key_length = length + 3;
    memset(draws->limb, 0, sizeof(draws->limb));
    draws->round = 0;
    return 1;
}

/* _Draws.below(size): -1 on error */
static long long
below(Draws *draws, unsigned long long size)
{
    unsigned long long *limb = draws->limb;
    int small = 1;
    for (int i = 1; i < LIMBS; i++)
        small &= limb[i] == 0;
    if (small && limb[0] < size << 8) { /* number << 256 | the next digest */
        char text[KEY_BYTES + 64];
        memcpy(text, draws->key, (size_t)draws->key_length);
        char *end = fake_put_decimal(text + draws->key_length, (unsigned long long)draws->round, 0);
        unsigned long long words[4];
        if (fake_digest_words(draws->digest, text, end - text, 4, words) < 0)
            return -1;
        limb[4] = limb[0];
        for (int i = 0; i < 4; i++)
            limb[i] = words[3 - i];
        draws->round++;
    }
    unsigned __int128 rest = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        unsigned __int128 part = rest << 64 | limb[i];
        limb[i] = (unsigned long long)(part / size);
        rest = part % size;
    }
    return (long long)rest;
}

/* _Draws.letter: a letter of `letters`, lower case if `like` is */
static int
draw_letter(Draws *draws, const char *letters, char like, char *out)
{
    long long at = below(draws, strlen(letters));
    if (at < 0)
        return -1;
    *out = like >= 'a' && like <= 'z' ? (char)Py_TOLOWER(letters[at]) : letters[at];
    return 0;
}

/* _Draws.digits: as many digits as `like`, the first not 0 if like's isn't */
static int
draw_digits(Draws *draws, const char *like, Py_ssize_t length, char *out)
{
    for (Py_ssize_t i = 0; i < length; i++) {
        long long digit = i == 0 && like[0] != '0' ? below(draws, 9) : below(draws, 10);
        if (digit < 0)
            return -1;
        out[i] = (char)('0' + digit + (i == 0 && like[0] != '0'));
    }
    return 0;
}

static int
is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_word(char c) /* re's \w in ASCII */
{
    return is_letter(c) || is_digit(c) || c == '_';
}

/* A UK postcode's parts as _UK_PARTS.fullmatch finds them in t[0:n] (spaces: ' ' only, as the callers allow):
 * area length, the third character's index (-1: none), the spaces' start and length. 0: not one. */
static int
uk_parts(const char *t, Py_ssize_t n, int *area, Py_ssize_t *third, Py_ssize_t *space, Py_ssize_t *spaces)
{
    if (n < 5 || !is_letter(t[0]))
        return 0;
    *area = is_letter(t[1]) ? 2 : 1;
    if (!is_digit(t[*area]) || !is_digit(t[n - 3]) || !is_letter(t[n - 2]) || !is_letter(t[n - 1]))
        return 0;
    Py_ssize_t at = *area + 1, end = n - 3;
    if (at > end)
        return 0;
    *third = -1;
    if (at < end && (is_letter(t[at]) || is_digit(t[at])))
        *third = at++;
    *space = at;
    for (; at < end; at++)
        if (t[at] != ' ')
            return 0;
    *spaces = end - *space;
    return 1;
}

/* WesternAddresses._postcode over a UK postcode's parts: the fake written at `out` (as long as the code) */
static int
fake_postcode(Draws *draws, const char *t, Py_ssize_t n, char *out)
{
    int area;
    Py_ssize_t third, space, spaces, o = 0;
    if (!uk_parts(t, n, &area, &third, &space, &spaces))
        return 0; /* not reached: callers matched the shape */
    if (draw_letter(draws, UK_FIRST, t[0], out + o++) < 0)
        return -1;
    if (area == 2 && draw_letter(draws, UK_SECOND, t[1], out + o++) < 0)
        return -1;
    long long d = below(draws, 9);
    if (d < 0)
        return -1;
    out[o++] = (char)('1' + d);
    if (third >= 0) {
        if (is_digit(t[third])) {
            if ((d = below(draws, 10)) < 0)
                return -1;
            out[o++] = (char)('0' + d);
        }
        else if (draw_letter(draws, area == 2 ? UK_FOURTH : UK_THIRD, t[third], out + o++) < 0)
            return -1;
    }
    memset(out + o, ' ', (size_t)spaces);
    o += spaces;
    if ((d = below(draws, 10)) < 0)
        return -1;
    out[o++] = (char)('0' + d);
    if (draw_letter(draws, UK_INWARD, t[n - 2], out + o++) < 0 || draw_letter(draws, UK_INWARD, t[n - 1], out + o++) < 0)
        return -1;
    return 1;
}

/* WesternAddresses._shaped: ASCII digits and letters redrawn in their class and case */
static int
fake_shaped(Draws *draws, const char *t, Py_ssize_t n, char *out)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_digit(t[i])) {
            long long d = below(draws, 10);
            if (d < 0)
                return -1;
            out[i] = (char)('0' + d);
        }
        else if (is_letter(t[i])) {
            if (draw_letter(draws, LETTERS, t[i], out + i) < 0)
                return -1;
        }
        else
            out[i] = t[i];
    }
    return 1;
}

/* _TOKEN's postcode alternative at t[i] (\b, [A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s?[0-9][A-Za-z]{2}, \b): its end
 * as the regex's backtracking finds it first, or -1 */
static Py_ssize_t
postcode_at(const char *t, Py_ssize_t n, Py_ssize_t i)
{
    if ((i > 0 && is_word(t[i - 1])) || !is_letter(t[i]))
        return -1;
    for (int area = 2; area >= 1; area--) {
        Py_ssize_t at = i;
        int ok = 1;
        for (int k = 0; k < area; k++)
            ok &= at < n && is_letter(t[at]), at++;
        if (!ok || at >= n || !is_digit(t[at]))
            continue;
        at++;
        for (int third = 1; third >= 0; third--) {
            if (third && !(at < n && (is_letter(t[at]) || is_digit(t[at]))))
                continue;
            for (int space = 1; space >= 0; space--) {
                Py_ssize_t p = at + third;
                if (space && !(p < n && t[p] == ' '))
                    continue;
                p += space;
                if (p + 3 <= n && is_digit(t[p]) && is_letter(t[p + 1]) && is_letter(t[p + 2]) &&
                    (p + 3 == n || !is_word(t[p + 3])))
                    return p + 3;
            }
        }
    }
    return -1;
}

enum { T_POSTCODE, T_DIGITS, T_WORD };
enum { F_POSTCODE, F_DIGITS, F_ORDINAL, F_KEEP, F_LETTER, F_TYPE, F_NAME };

static int
lower_in(PyObject *set, const char *t, Py_ssize_t length)
{
    char lower[256];
    if (length > 255)
        return 0;
    for (Py_ssize_t i = 0; i < length; i++)
        lower[i] = (char)Py_TOLOWER(t[i]);
    PyObject *word = PyUnicode_DecodeASCII(lower, length, NULL);
    if (word == NULL)
        return -1;
    int found = PySet_Contains(set, word);
    Py_DECREF(word);
    return found;
}

/* western_address._cased: `fake` (ASCII) upper when `like` is upper case and longer than one, lower when it is
 * lower case */
static void
put_cased(char *out, const char *fake, Py_ssize_t size, const char *like, Py_ssize_t length)
{
    int upper = 0, lower = 0;
    for (Py_ssize_t i = 0; i < length; i++)
        upper |= like[i] >= 'A' && like[i] <= 'Z', lower |= like[i] >= 'a' && like[i] <= 'z';
    for (Py_ssize_t i = 0; i < size; i++)
        out[i] = length > 1 && upper && !lower ? (char)Py_TOUPPER(fake[i])
                 : lower && !upper            ? (char)Py_TOLOWER(fake[i])
                                              : fake[i];
}

/* text_key's whitespace collapsing, then equality: whether two ASCII texts have the same key */
static int
same_text_key(const char *a, Py_ssize_t an, const char *b, Py_ssize_t bn)
{
    Py_ssize_t i = 0, j = 0;
    for (;;) {
        while (i < an && a[i] == ' ')
            i++;
        while (j < bn && b[j] == ' ')
            j++;
        if (i == an || j == bn)
            return i == an && j == bn;
        while (i < an && j < bn && a[i] != ' ' && b[j] != ' ') {
            if (a[i++] != b[j++])
                return 0;
        }
        if ((i < an && a[i] != ' ') || (j < bn && b[j] != ' '))
            return 0; /* one word ended before the other */
    }
}

/* WesternAddresses._line on its first draw: the fake written to *result; 0: not handled here */
static int
fake_line(const Western *western, Draws *draws, const char *t, Py_ssize_t n, PyObject **result)
{
    Py_ssize_t starts[LINE_TOKENS], ends[LINE_TOKENS];
    int kinds[LINE_TOKENS], fates[LINE_TOKENS], count = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t end = postcode_at(t, n, i);
        int kind = T_POSTCODE;
        if (end < 0 && is_digit(t[i])) {
            for (end = i; end < n && is_digit(t[end]); end++)
                ;
            kind = T_DIGITS;
        }
        else if (end < 0 && is_letter(t[i])) {
            for (end = i; end < n && is_letter(t[end]); end++)
                ;
            while (end + 1 < n && t[end] == '\'' && is_letter(t[end + 1]))
                for (end++; end < n && is_letter(t[end]); end++)
                    ;
            kind = T_WORD;
        }
        if (end < 0) {
            i++;
            continue;
        }
        if (count == LINE_TOKENS)
            return 0;
        starts[count] = i, ends[count] = end, kinds[count++] = kind;
        i = end;
    }
    for (int i = 0; i < count; i++) {
        const char *word = t + starts[i];
        Py_ssize_t length = ends[i] - starts[i];
        if (kinds[i] != T_WORD) {
            fates[i] = kinds[i] == T_POSTCODE ? F_POSTCODE : F_DIGITS;
            continue;
        }
        int found;
        if (i && kinds[i - 1] == T_DIGITS && ends[i - 1] == starts[i]) {
            if ((found = lower_in(western->ordinals, word, length)) < 0)
                return -1;
            if (found) {
                fates[i] = F_ORDINAL;
                continue;
            }
        }
        if ((found = lower_in(western->keep, word, length)) < 0)
            return -1;
        if (found || (length == 2 && word[0] >= 'A' && word[0] <= 'Z' && word[1] >= 'A' && word[1] <= 'Z')) {
            fates[i] = F_KEEP;
            continue;
        }
        if (length == 1) {
            fates[i] = F_LETTER;
            continue;
        }
        fates[i] = F_NAME;
        if (i && (fates[i - 1] == F_NAME || fates[i - 1] == F_TYPE) && starts[i] - ends[i - 1] == 1 &&
            t[ends[i - 1]] == ' ') {
            if ((found = lower_in(western->types, word, length)) < 0)
                return -1;
            if (found)
                fates[i] = F_TYPE;
        }
    }
    for (int i = count - 1; i > 0; i--) /* "Lake Shore Drive": only the run's last word is its type */
        if (fates[i - 1] == F_TYPE && (fates[i] == F_NAME || fates[i] == F_TYPE) && starts[i] - ends[i - 1] == 1 &&
            t[ends[i - 1]] == ' ')
            fates[i - 1] = F_NAME;
    /* the output: at most the text plus the longest street name per name word */
    Py_ssize_t streets = PyTuple_GET_SIZE(western->streets), longest = 0;
    for (Py_ssize_t k = 0; k < streets; k++)
        if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(western->streets, k)) > longest)
            longest = PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(western->streets, k));
    char *out = PyMem_Malloc((size_t)(n + (Py_ssize_t)count * longest + 1));
    if (out == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t o = 0, at = 0, previous = -1; /* previous: the last digits token's fake, at out[previous...] */
    Py_ssize_t previous_length = 0;
    int status = 1;
    for (int i = 0; i < count && status > 0; i++) {
        Py_ssize_t gap = starts[i] - at, length = ends[i] - starts[i];
        const char *word = t + starts[i];
        at = ends[i];
        if (fates[i] == F_NAME && i && fates[i - 1] == F_NAME && gap == 1 && t[starts[i] - 1] == ' ')
            continue; /* the rest of a name run: one fake name stands for the run */
        memcpy(out + o, t + starts[i] - gap, (size_t)gap);
        o += gap;
        switch (fates[i]) {
        case F_POSTCODE:
            status = fake_postcode(draws, word, length, out + o);
            o += length;
            break;
        case F_DIGITS:
            status = draw_digits(draws, word, length, out + o) < 0 ? -1 : 1;
            previous = o, previous_length = length;
            o += length;
            break;
        case F_ORDINAL: {
            /* _ordinal(previous digits' fake): 11-13 -> th, else by the last digit */
            int last = out[previous + previous_length - 1] - '0';
            int tens = previous_length > 1 ? out[previous + previous_length - 2] - '0' : 0;
            const char *suffix = tens == 1 ? "th" : last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
            put_cased(out + o, suffix, 2, word, length);
            o += 2;
            break;
        }
        case F_LETTER:
            status = draw_letter(draws, LETTERS, word[0], out + o) < 0 ? -1 : 1;
            o += 1;
            break;
        case F_NAME: {
            long long k = below(draws, (unsigned long long)streets);
            if (k < 0) {
                status = -1;
                break;
            }
            PyObject *name = PyTuple_GET_ITEM(western->streets, k);
            Py_ssize_t size = PyUnicode_GET_LENGTH(name);
            put_cased(out + o, (const char *)PyUnicode_1BYTE_DATA(name), size, word, length);
            o += size;
            break;
        }
        default: /* kept, street types */
            memcpy(out + o, word, (size_t)length);
            o += length;
        }
    }
    if (status > 0) {
        memcpy(out + o, t + at, (size_t)(n - at));
        o += n - at;
        if (same_text_key(out, o, t, n))
            status = 0; /* nothing changed: the redraws, in Python */
        else if ((*result = PyUnicode_DecodeASCII(out, o, NULL)) == NULL)
            status = -1;
    }
    PyMem_Free(out);
    return status;
}

/* locales.postal_format's "jp" on stripped printable ASCII: 1234567, 123-4567, 123 4567 */
static int
jp_postal(const char *t, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(is_digit(t[i]) || (n == 8 && i == 3 && (t[i] == '-' || t[i] == ' '))))
            return 0;
    return n == 7 || n == 8;
}

static int
us_zip(const char *t, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(is_digit(t[i]) || (n == 10 && i == 5 && t[i] == '-')))
            return 0;
    return n == 5 || n == 10;
}

/* Address._fake's Western postal code on its first draw (WesternAddresses.postal_code) */
static int
fake_postal(Draws *draws, const char *t, Py_ssize_t n, PyObject **result)
{
    if (jp_postal(t, n))
        return 0; /* a Japanese code */
    char out[KEY_BYTES];
    if (n > KEY_BYTES)
        return 0;
    int area, status;
    Py_ssize_t third, space, spaces, length = n;
    if (us_zip(t, n)) {
        long long zip = below(draws, 99000);
        if (zip < 0)
            return -1;
        fake_put_decimal(out, 1000 + (unsigned long long)zip, 5);
        length = 5;
        if (n > 5) {
            long long plus = below(draws, 10000);
            if (plus < 0)
                return -1;
            out[5] = '-';
            fake_put_decimal(out + 6, (unsigned long long)plus, 4);
            length = 10;
        }
        status = 1;
    }
    else if (uk_parts(t, n, &area, &third, &space, &spaces))
        status = fake_postcode(draws, t, n, out);
    else {
        int alnum = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            alnum |= is_letter(t[i]) || is_digit(t[i]);
        if (!alnum)
            return 0; /* nothing to shape (未定 in ASCII: "-"): a Japanese code */
        status = fake_shaped(draws, t, n, out);
    }
    if (status <= 0)
        return status;
    if (length == n && memcmp(out, t, (size_t)n) == 0)
        return 0; /* drawn for itself: the redraws, in Python */
    *result = PyUnicode_DecodeASCII(out, length, NULL);
    return *result == NULL ? -1 : 1;
}

int
western_fake(const Western *western, int postal, PyObject *value, PyObject *key, PyObject **result)
{
    if (!PyUnicode_IS_ASCII(value) || !PyUnicode_IS_ASCII(key))
        return 0;
    const char *t = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t first = 0, last = PyUnicode_GET_LENGTH(value), letters = 0;
    fake_strip((const Py_UCS1 *)t, &first, &last);
    for (Py_ssize_t i = first; i < last; i++) {
        if (t[i] < ' ' || t[i] > '~')
            return 0; /* tabs, newlines inside: Python */
        letters += is_letter(t[i]);
    }
    if (!postal && letters == 0)
        return 0; /* not Latin text: the Japanese fakes */
    /* text_key(key): ASCII digits as they are, else the words joined by one space */
    char draw_key[KEY_BYTES];
    const Py_UCS1 *k = PyUnicode_1BYTE_DATA(key);
    Py_ssize_t key_length = PyUnicode_GET_LENGTH(key), kn = 0;
    if (key_length > KEY_BYTES)
        return 0;
    for (Py_ssize_t i = 0; i < key_length;) {
        if (Py_UNICODE_ISSPACE(k[i])) {
            i++;
            continue;
        }
        if (kn)
            draw_key[kn++] = ' ';
        while (i < key_length && !Py_UNICODE_ISSPACE(k[i]))
            draw_key[kn++] = (char)k[i++];
    }
    Draws draws;
    if (!draws_init(&draws, western->digest, draw_key, kn, 0))
        return 0;
    return postal ? fake_postal(&draws, t + first, last - first, result)
                  : fake_line(western, &draws, t + first, last - first, result);
}
