/* transformers.phone.Phone's fake of a number written in ASCII when no prefix is kept and no key column named:
 * - a national Japanese number (090-1234-5678, 0312345678, (03) 1234-5678): an 11-digit 0A0 mobile/IP number or a
 *   10-digit geographic one goes to the never-assigned 0A0-0 / 0X-0 (0100 for 01) block, its keyed digits a digest
 *   of the national number;
 * - unless the rule's locale is ja (`foreign`): a North American number (4155550134, 1-415-555-0134, +1 415 ...)
 *   gets NPA-555-01XX (Phone.fake_nanp), a British one written +44 / 0044 a number of Ofcom's drama ranges
 *   (Phone.fake_uk), their keyed numbers a digest of "+1" / "+44" and the national number;
 * written back in the value's shape. +81 and other international spellings, 001, extensions (any letter or #),
 * free dial, other lengths: the Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

static int
starts(const char *digits, const char *prefix)
{
    return strncmp(digits, prefix, strlen(prefix)) == 0;
}

#define MAX_DIGITS 16 /* 0044 + a trunk 0 + 10 national digits, with room */

typedef struct {
    DigestFake base;
    int foreign; /* North American and British numbers get their country's fakes (every locale but ja) */
} PhoneFake;

/* phone._NANP_AREAS: NPA [2-9][0-8]X other than N11, in order; 712 of them, 100 fakes each (555-0100..0199) */
#define NANP_AREAS 712
static char nanp_areas[NANP_AREAS][4];

/* phone._UK_DRAMA: the first 7 of 10 national digits of Ofcom's drama ranges, by the first national digit */
static const char *const uk_drama[10][12] = {
    [1] = {"1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960", "1314960", "1414960",
           "1514960", "1614960", NULL},
    [2] = {"2079460", "2890180", "2920180", NULL},
    [3] = {"3069990", NULL},
    [7] = {"7700900", NULL},
    [8] = {"8081570", NULL},
    [9] = {"9098790", NULL},
};

static void
nanp_init(void)
{
    int n = 0;
    for (char a = '2'; a <= '9'; a++)
        for (char b = '0'; b <= '8'; b++)
            for (char c = '0'; c <= '9'; c++)
                if (!(b == '1' && c == '1')) {
                    nanp_areas[n][0] = a, nanp_areas[n][1] = b, nanp_areas[n][2] = c, nanp_areas[n][3] = '\0';
                    n++;
                }
}

/* locales.NANP: NPA-NXX-XXXX, 10 digits, area code and exchange starting 2-9 */
static int
is_nanp(const char *digits, Py_ssize_t count)
{
    return count == 10 && digits[0] >= '2' && digits[3] >= '2';
}

/* int.from_bytes(digest(prefix + national)[:8], "big") % size */
static int
keyed_number(DigestFake *fake, const char *prefix, const char *national, Py_ssize_t length, unsigned long long size,
             unsigned long long *out)
{
    char canonical[MAX_DIGITS + 4];
    size_t lead = strlen(prefix);
    memcpy(canonical, prefix, lead);
    memcpy(canonical + lead, national, (size_t)length);
    unsigned long long number;
    if (fake_digest_words(fake->digest, canonical, (Py_ssize_t)lead + length, 1, &number) < 0)
        return -1;
    *out = number % size;
    return 0;
}

/* Phone.fake_nanp: the 10 digits of NPA-555-01XX for the 10-digit `national`, written over it. */
static int
fake_nanp(DigestFake *fake, char *national)
{
    unsigned long long size = NANP_AREAS * 100ULL, number;
    if (keyed_number(fake, "+1", national, 10, size, &number) < 0)
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        char made[11];
        memcpy(made, nanp_areas[number / 100], 3);
        memcpy(made + 3, "5550", 4);
        unsigned long long line = 100 + number % 100;
        made[7] = (char)('0' + line / 100), made[8] = (char)('0' + line / 10 % 10), made[9] = (char)('0' + line % 10);
        if (attempt == 0 && memcmp(made, national, 10) == 0) { /* drawn for itself: the next one */
            number = (number + 1) % size;
            continue;
        }
        memcpy(national, made, 10);
        return 0;
    }
    return 0; /* not reached */
}

/* Phone.fake_uk: the 10-digit British significant number's fake written over it; 0 when it has none (then the
 * Python rules decide), -1 on error. */
static int
fake_uk(DigestFake *fake, char *significant, Py_ssize_t length)
{
    if (length != 10)
        return 0;
    const char *const *ranges = uk_drama[significant[0] - '0'];
    unsigned long long count = 0, number;
    while (count < 12 && ranges[count] != NULL)
        count++;
    if (count == 0)
        return 0;
    if (keyed_number(fake, "+44", significant, 10, count * 1000, &number) < 0)
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        char made[10];
        memcpy(made, ranges[number / 1000], 7);
        unsigned long long tail = number % 1000;
        made[7] = (char)('0' + tail / 100), made[8] = (char)('0' + tail / 10 % 10), made[9] = (char)('0' + tail % 10);
        if (attempt == 0 && memcmp(made, significant, 10) == 0) {
            number = (number + 1) % (count * 1000);
            continue;
        }
        memcpy(significant, made, 10);
        return 1;
    }
    return 1; /* not reached */
}

/* Phone._foreign for a value with no extension (no letter, no #): 1 with the fake digits written over `digits`,
 * 0 when the number is neither North American nor British as written (the Japanese rules then), -1 on error. */
static int
foreign_digits(DigestFake *fake, const char *lead, char *digits, Py_ssize_t count)
{
    int code = starts(lead, "+44") ? 2 : starts(lead, "0044") ? 4 : 0;
    if (code) {
        if (count <= code)
            return 0;
        int trunk = digits[code] == '0'; /* +44 (0)20 ...: the trunk 0 written out */
        return fake_uk(fake, digits + code + trunk, count - code - trunk);
    }
    if (starts(lead, "+1") && count == 11 && is_nanp(digits + 1, 10))
        return fake_nanp(fake, digits + 1) < 0 ? -1 : 1;
    if (starts(lead, "001") || lead[0] == '+')
        return 0; /* 001 + NANP: an access code, in Python; other country codes: not ours */
    if (is_nanp(digits, count))
        return fake_nanp(fake, digits) < 0 ? -1 : 1;
    if (count == 11 && digits[0] == '1' && is_nanp(digits + 1, 10))
        return fake_nanp(fake, digits + 1) < 0 ? -1 : 1;
    return 0;
}

/* `width` keyed digits of `national` into `out`: int.from_bytes(digest[:8], "big") % 10**width, zero-filled. */
static int
keyed_digits(DigestFake *fake, const char *national, Py_ssize_t length, int width, char *out)
{
    unsigned long long number;
    if (fake_digest_words(fake->digest, national, length, 1, &number) < 0)
        return -1;
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + number % 10);
        number /= 10;
    }
    return 0;
}

static PyObject *
phone_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    PhoneFake *phone = (PhoneFake *)self;
    DigestFake *fake = &phone->base;
    PyObject *value = args[0];
    if (!PyUnicode_IS_ASCII(value))
        return fake_fallback(&fake->head, args);
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), count = 0;
    char digits[MAX_DIGITS + 1];
    int plus = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9') {
            if (count == MAX_DIGITS)
                return fake_fallback(&fake->head, args);
            digits[count++] = c;
        }
        else if (c == '+')
            plus = 1;
        else if (c == '#' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return fake_fallback(&fake->head, args); /* an extension (x12, ext. 3, #4), tel:...: Python */
    }
    digits[count] = '\0';
    if (count == 0)
        return fake_fallback(&fake->head, args);
    Py_ssize_t skip = 0; /* Phone._fake's lead: the value without its leading spaces and ( */
    while (skip < length && (text[skip] == ' ' || text[skip] == '('))
        skip++;
    const char *lead = text + skip;
    if (digits[0] != '0' || lead[0] == '+' || starts(lead, "00")) {
        int found = phone->foreign ? foreign_digits(fake, lead, digits, count) : 0;
        if (found < 0)
            return NULL;
        if (found == 0)
            return fake_fallback(&fake->head, args); /* +81, other countries, permuted leads: Python */
    }
    else {
        if (plus) /* a + after the lead: an odd spelling, in Python */
            return fake_fallback(&fake->head, args);
        /* 0X... with X != 0: national, neither 00(81) international nor the 10-digit 0X0 non-geographic case */
        if (count < 10 || count > 11 || digits[1] == '0')
            return fake_fallback(&fake->head, args);
        char national[MAX_DIGITS + 1];
        memcpy(national, digits, (size_t)count + 1);
        if (count == 11 && (starts(digits, "050") || starts(digits, "060") || starts(digits, "070") ||
                            starts(digits, "080") || starts(digits, "090"))) {
            digits[3] = '0';
            if (keyed_digits(fake, national, count, 7, digits + 4) < 0)
                return NULL;
        }
        else if (count == 10 && !starts(digits, "0120") && !starts(digits, "0800") && !starts(digits, "0570")) {
            if (digits[1] == '1') { /* 010 is the international prefix: 0100 + 6 (no country code starts with 0) */
                memcpy(digits, "0100", 4);
                if (keyed_digits(fake, national, count, 6, digits + 4) < 0)
                    return NULL;
            }
            else {
                digits[2] = '0';
                if (keyed_digits(fake, national, count, 7, digits + 3) < 0)
                    return NULL;
            }
        }
        else
            return fake_fallback(&fake->head, args);
    }
    PyObject *result = PyUnicode_New(length, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    for (Py_ssize_t i = 0, next = 0; i < length; i++) /* DigitShape.fill: the digits back in the value's shape */
        out[i] = text[i] >= '0' && text[i] <= '9' ? digits[next++] : text[i];
    return fake_fit(&fake->head, result);
}

static PyObject *
phone_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static int ready;
    if (!ready) {
        nanp_init();
        ready = 1;
    }
    /* (digest, fallback, max_length[, foreign]): the digest fake's arguments, then the flag */
    Py_ssize_t given = PyTuple_GET_SIZE(args);
    int foreign = 0;
    if (given == 4) {
        foreign = PyObject_IsTrue(PyTuple_GET_ITEM(args, 3));
        if (foreign < 0)
            return NULL;
    }
    PyObject *head = PyTuple_GetSlice(args, 0, given == 4 ? 3 : given);
    if (head == NULL)
        return NULL;
    PyObject *self = digest_fake_new(type, head, kwargs, phone_call);
    Py_DECREF(head);
    if (self != NULL)
        ((PhoneFake *)self)->foreign = foreign;
    return self;
}

PyTypeObject PhoneFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.PhoneFake",
    .tp_basicsize = sizeof(PhoneFake),
    .tp_dealloc = digest_fake_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "PhoneFake(digest, fallback, max_length, foreign=False): Phone's fake of a Japanese national number "
              "in ASCII, and (foreign) of a North American or +44 British one; other values -> fallback.",
    .tp_new = phone_new,
};
