/* transformers.ip.Ip's fake of a plain dotted IPv4 address when no prefix is kept and no key column named: the
 * address in canonical form (no leading zeros, octets <= 255, no surrounding space) goes to 240.0.0.0/4 plus the
 * low 28 bits of its keyed digest's first 16 bytes. Every other value goes to the Python transform. */
#include "speedups.h"

#include <stddef.h>

/* _PLAIN_V4.fullmatch: four octets 0-255 without leading zeros, dot-separated. */
static int
plain_v4(const Py_UCS1 *text, Py_ssize_t length)
{
    Py_ssize_t i = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (octet > 0) {
            if (i >= length || text[i] != '.')
                return 0;
            i++;
        }
        Py_ssize_t start = i;
        int value = 0;
        while (i < length && i - start < 4 && text[i] >= '0' && text[i] <= '9')
            value = value * 10 + (text[i++] - '0');
        Py_ssize_t digits = i - start;
        if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && text[start] == '0'))
            return 0;
    }
    return i == length;
}

static PyObject *
ipv4_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    DigestFake *fake = (DigestFake *)self;
    PyObject *value = args[0];
    if (!PyUnicode_IS_ASCII(value) || !plain_v4(PyUnicode_1BYTE_DATA(value), PyUnicode_GET_LENGTH(value)))
        return fake_fallback(&fake->head, args);
    unsigned long long words[2];
    if (fake_digest_words(fake->digest, (const char *)PyUnicode_1BYTE_DATA(value), PyUnicode_GET_LENGTH(value), 2,
                          words) < 0)
        return NULL;
    /* int.from_bytes(digest[:16], "big") & 0x0FFFFFFF: the low 28 bits of the second word */
    unsigned long long number = 0xF0000000ULL | (words[1] & 0x0FFFFFFFULL);
    char text[16], *end = text;
    for (int shift = 24; shift >= 0; shift -= 8) {
        end = fake_put_decimal(end, number >> shift & 255, 0);
        *end++ = '.';
    }
    return fake_ascii(&fake->head, text, end - 1 - text);
}

static PyObject *
ipv4_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    return digest_fake_new(type, args, kwargs, ipv4_call);
}

PyTypeObject Ipv4FakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.Ipv4Fake",
    .tp_basicsize = sizeof(DigestFake),
    .tp_dealloc = digest_fake_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Ipv4Fake(digest, fallback, max_length): Ip's fake of a plain IPv4 address; other values -> fallback.",
    .tp_new = ipv4_new,
};
