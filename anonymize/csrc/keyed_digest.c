/* keys.Keyring.digester's per-value PRF as a callable object: keyed BLAKE2b-256 (personalised) of a domain prefix
 * and the value's UTF-8, byte for byte what hashlib.blake2b gives (tests/anonymize/test_speedups.py). The state
 * after the key block and the prefix is computed once; a call copies it, absorbs the value and finalises, with no
 * hash object, no encoded copy of an ASCII value and no Python call in between. BLAKE2b as in RFC 7693, vendored;
 * built with DEVKIT_BLAKE2=libb2 (setup.py) it is libb2's, measured slower (bench/keyed_digest/run.py). */
#include "speedups.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef DEVKIT_LIBB2
/* libb2 (the BLAKE2 authors' library, SIMD picked at run time), when setup.py found it: its state is a plain struct
 * too, so the prefixed state is copied per call the same way. */
#include <blake2.h>
#define BLAKE2B_IMPLEMENTATION "libb2"
typedef blake2b_state Blake2b;
#define OUT_LENGTH(s) ((size_t)(s)->outlen)

static void
update(Blake2b *s, const uint8_t *data, size_t length)
{
    blake2b_update(s, data, length);
}

static void
final(Blake2b *s, uint8_t *out)
{
    blake2b_final(s, out, s->outlen);
}

/* hashlib.blake2b(key=key, digest_size=out_length, person=person): parameter block, then the key block. */
static void
init_keyed(Blake2b *s, const uint8_t *key, size_t key_length, size_t out_length, const uint8_t person[16])
{
    blake2b_param parameters;
    memset(&parameters, 0, sizeof(parameters));
    parameters.digest_length = (uint8_t)out_length;
    parameters.key_length = (uint8_t)key_length;
    parameters.fanout = 1;
    parameters.depth = 1;
    memcpy(parameters.personal, person, 16);
    blake2b_init_param(s, &parameters);
    if (key_length) {
        uint8_t block[128] = {0};
        memcpy(block, key, key_length);
        blake2b_update(s, block, 128);
    }
}
#else
/* The vendored BLAKE2b (RFC 7693), for an install without libb2: same answers, tested byte for byte alike. */
#define BLAKE2B_IMPLEMENTATION "vendored"
#define OUT_LENGTH(s) ((s)->out_length)
typedef struct {
    uint64_t h[8];
    uint64_t t[2];
    uint8_t buffer[128];
    size_t held;
    size_t out_length;
} Blake2b;

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t
load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8); /* BLAKE2 words are little-endian: one load */
    return v;
#else
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
#endif
}

static inline uint64_t
rotr64(uint64_t x, int n)
{
    return (x >> n) | (x << (64 - n));
}

#define G(a, b, c, d, x, y)            \
    do {                               \
        a = a + b + (x);               \
        d = rotr64(d ^ a, 32);         \
        c = c + d;                     \
        b = rotr64(b ^ c, 24);         \
        a = a + b + (y);               \
        d = rotr64(d ^ a, 16);         \
        c = c + d;                     \
        b = rotr64(b ^ c, 63);         \
    } while (0)

static void
compress(Blake2b *s, const uint8_t block[128], int last)
{
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++)
        m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = IV[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last)
        v[14] = ~v[14];
    /* Unrolled, SIGMA's indexes are constants and v stays in registers: ~20% fewer instructions a block. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 12
#endif
    for (int r = 0; r < 12; r++) {
        const uint8_t *z = SIGMA[r];
        G(v[0], v[4], v[8], v[12], m[z[0]], m[z[1]]);
        G(v[1], v[5], v[9], v[13], m[z[2]], m[z[3]]);
        G(v[2], v[6], v[10], v[14], m[z[4]], m[z[5]]);
        G(v[3], v[7], v[11], v[15], m[z[6]], m[z[7]]);
        G(v[0], v[5], v[10], v[15], m[z[8]], m[z[9]]);
        G(v[1], v[6], v[11], v[12], m[z[10]], m[z[11]]);
        G(v[2], v[7], v[8], v[13], m[z[12]], m[z[13]]);
        G(v[3], v[4], v[9], v[14], m[z[14]], m[z[15]]);
    }
    for (int i = 0; i < 8; i++)
        s->h[i] ^= v[i] ^ v[i + 8];
}

static void
advance(Blake2b *s, uint64_t bytes)
{
    s->t[0] += bytes;
    if (s->t[0] < bytes)
        s->t[1]++;
}

/* The last block stays in the buffer until final (it is compressed with the last-block flag). */
static void
update(Blake2b *s, const uint8_t *data, size_t length)
{
    while (length > 0) {
        if (s->held == 128) {
            advance(s, 128);
            compress(s, s->buffer, 0);
            s->held = 0;
        }
        size_t take = 128 - s->held < length ? 128 - s->held : length;
        memcpy(s->buffer + s->held, data, take);
        s->held += take;
        data += take;
        length -= take;
    }
}

static void
final(Blake2b *s, uint8_t *out)
{
    advance(s, s->held);
    memset(s->buffer + s->held, 0, 128 - s->held);
    compress(s, s->buffer, 1);
    uint8_t full[64];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            full[8 * i + j] = (uint8_t)(s->h[i] >> (8 * j));
    memcpy(out, full, s->out_length);
}

/* hashlib.blake2b(key=key, digest_size=out_length, person=person): parameter block, then the key block. */
static void
init_keyed(Blake2b *s, const uint8_t *key, size_t key_length, size_t out_length, const uint8_t person[16])
{
    uint8_t parameters[64] = {0};
    parameters[0] = (uint8_t)out_length;
    parameters[1] = (uint8_t)key_length;
    parameters[2] = 1; /* fanout */
    parameters[3] = 1; /* depth */
    memcpy(parameters + 48, person, 16);
    for (int i = 0; i < 8; i++)
        s->h[i] = IV[i] ^ load64(parameters + 8 * i);
    s->t[0] = s->t[1] = 0;
    s->held = 0;
    s->out_length = out_length;
    if (key_length) {
        uint8_t block[128] = {0};
        memcpy(block, key, key_length);
        update(s, block, 128);
    }
}
#endif

/* keyed_digest.c's BLAKE2b, "libb2" or "vendored": the module's BLAKE2B. */
const char *const kd_implementation = BLAKE2B_IMPLEMENTATION;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Blake2b prefixed; /* the key block and the prefix absorbed */
} KeyedDigest;

static PyObject *
digest_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "a keyed digest takes one str");
        return NULL;
    }
    PyObject *value = args[0], *encoded = NULL;
    const uint8_t *data;
    Py_ssize_t length;
    if (PyUnicode_IS_ASCII(value)) {
        data = PyUnicode_1BYTE_DATA(value);
        length = PyUnicode_GET_LENGTH(value);
    }
    else {
        encoded = PyUnicode_AsUTF8String(value); /* as str.encode(): lone surrogates raise */
        if (encoded == NULL)
            return NULL;
        data = (const uint8_t *)PyBytes_AS_STRING(encoded);
        length = PyBytes_GET_SIZE(encoded);
    }
    Blake2b state = ((KeyedDigest *)self)->prefixed;
    update(&state, data, (size_t)length);
    Py_XDECREF(encoded);
    PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)OUT_LENGTH(&state));
    if (result != NULL)
        final(&state, (uint8_t *)PyBytes_AS_STRING(result));
    return result;
}

/* A KeyedDigest's digest of `length` bytes into `out` (room for 64), without a bytes object in between; any other
 * digest callable is called. The digest's size, or -1 with an exception set. */
Py_ssize_t
kd_digest(PyObject *digest, const char *data, Py_ssize_t length, unsigned char *out)
{
    if (Py_IS_TYPE(digest, &KeyedDigestType)) {
        Blake2b state = ((KeyedDigest *)digest)->prefixed;
        update(&state, (const uint8_t *)data, (size_t)length);
        final(&state, out);
        return (Py_ssize_t)OUT_LENGTH(&state);
    }
    PyObject *text = PyUnicode_DecodeUTF8(data, length, NULL);
    if (text == NULL)
        return -1;
    PyObject *result = PyObject_CallOneArg(digest, text);
    Py_DECREF(text);
    if (result == NULL)
        return -1;
    if (!PyBytes_Check(result) || PyBytes_GET_SIZE(result) > 64) {
        Py_DECREF(result);
        PyErr_SetString(PyExc_TypeError, "a digest must return at most 64 bytes");
        return -1;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(result);
    memcpy(out, PyBytes_AS_STRING(result), (size_t)size);
    Py_DECREF(result);
    return size;
}

static void
digest_dealloc(PyObject *self)
{
    Py_TYPE(self)->tp_free(self);
}

static PyObject *
digest_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_buffer key, person, prefix;
    Py_ssize_t size;
    static char *names[] = {"key", "digest_size", "person", "prefix", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*ny*y*", names, &key, &size, &person, &prefix))
        return NULL;
    PyObject *result = NULL;
    if (key.len < 1 || key.len > 64 || size < 1 || size > 64 || person.len > 16) {
        PyErr_SetString(PyExc_ValueError, "KeyedDigest: key of 1-64 bytes, digest_size 1-64, person up to 16 bytes");
        goto done;
    }
    KeyedDigest *digest = (KeyedDigest *)type->tp_alloc(type, 0);
    if (digest == NULL)
        goto done;
    digest->vectorcall = digest_call;
    uint8_t padded[16] = {0};
    memcpy(padded, person.buf, (size_t)person.len);
    init_keyed(&digest->prefixed, key.buf, (size_t)key.len, (size_t)size, padded);
    update(&digest->prefixed, prefix.buf, (size_t)prefix.len);
    result = (PyObject *)digest;
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&person);
    PyBuffer_Release(&prefix);
    return result;
}

PyTypeObject KeyedDigestType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.KeyedDigest",
    .tp_basicsize = sizeof(KeyedDigest),
    .tp_dealloc = digest_dealloc,
    .tp_vectorcall_offset = offsetof(KeyedDigest, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "KeyedDigest(key, digest_size, person, prefix): value -> blake2b(prefix + value.encode(), key=key, "
              "digest_size=digest_size, person=person).digest()",
    .tp_new = digest_new,
};
