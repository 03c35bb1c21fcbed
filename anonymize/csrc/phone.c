/* transformers.phone.Phone's fake of a national Japanese number written in ASCII (090-1234-5678, 0312345678,
 * (03) 1234-5678) when no prefix is kept and no key column named: an 11-digit 0A0 mobile/IP number or a 10-digit
 * geographic one goes to the never-assigned 0A0-0 / 0X-0 (0100 for 01) block, its keyed digits a digest of the
 * national number, written back in the value's shape. International spellings, free dial, other lengths: the
 * Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

#define MAX_DIGITS 11

static int
starts(const char *digits, const char *prefix)
{
    return strncmp(digits, prefix, strlen(prefix)) == 0;
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
    DigestFake *fake = (DigestFake *)self;
    PyObject *value = args[0];
    if (!PyUnicode_IS_ASCII(value))
        return fake_fallback(&fake->head, args);
    const char *text = (const char *)PyUnicode_1BYTE_DATA(value);
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), count = 0;
    char digits[MAX_DIGITS + 1];
    for (Py_ssize_t i = 0; i < length; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (count == MAX_DIGITS)
                return fake_fallback(&fake->head, args);
            digits[count++] = text[i];
        }
        else if (text[i] == '+')
            return fake_fallback(&fake->head, args); /* +81...: through its national form, in Python */
    }
    digits[count] = '\0';
    /* 0X... with X != 0: national, neither 00(81) international nor the 10-digit 0X0 non-geographic case */
    if (count < 10 || digits[0] != '0' || digits[1] == '0')
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
    return digest_fake_new(type, args, kwargs, phone_call);
}

PyTypeObject PhoneFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.PhoneFake",
    .tp_basicsize = sizeof(DigestFake),
    .tp_dealloc = digest_fake_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "PhoneFake(digest, fallback, max_length): Phone's fake of a national number in ASCII; other values "
              "-> fallback.",
    .tp_new = phone_new,
};
