/* transformers.token.Token's fake of an ASCII token without a `tok_`-style prefix (no `_`) and not UUID-shaped:
 * every character but the kept separators replaced from a keyed stream (SHAKE-256 of the keyed digest) within its
 * class -- hex stays hex, digits digits, capitals capitals, anything else a lowercase letter. With `crypt`
 * (keep_prefix), a password hash's `$2b$12$` header (token._CRYPT_PREFIX) is kept and the rest replaced so. Other
 * values: the Python transform. */
#include "speedups.h"

#include <stddef.h>
#include <string.h>

typedef struct {
    FakeHead head;
    PyObject *digest;     /* Token._digest */
    PyObject *shake;      /* hashlib.shake_256 */
    unsigned char kept[128]; /* ASCII characters kept in place (TokenParams.keep_chars) */
    int crypt;               /* keep a `$algorithm$cost$` header (TokenParams.keep_prefix) */
} TokenFake;

static int
is_digit(Py_UCS1 c)
{
    return c >= '0' && c <= '9';
}

static int
is_lower(Py_UCS1 c)
{
    return c >= 'a' && c <= 'z';
}

/* After `\d+` at t[i]: the index past the digits, or -1 if none. */
static Py_ssize_t
skip_digits(const Py_UCS1 *t, Py_ssize_t n, Py_ssize_t i)
{
    Py_ssize_t start = i;
    while (i < n && is_digit(t[i]))
        i++;
    return i > start ? i : -1;
}

/* One `(?:\d{1,2}|rounds=\d+|[a-z]=\d+(?:,[a-z]=\d+)*)\$` of token._CRYPT_PREFIX at t[i]: the index past its
 * `$`, or -1. The alternatives start apart (a digit, "rounds=", a letter and "="), each ends at its `$`. */
static Py_ssize_t
crypt_group(const Py_UCS1 *t, Py_ssize_t n, Py_ssize_t i)
{
    Py_ssize_t j = -1;
    if (i < n && is_digit(t[i]))
        j = i + 1 < n && is_digit(t[i + 1]) ? i + 2 : i + 1;
    else if (n - i >= 7 && memcmp(t + i, "rounds=", 7) == 0 && (j = skip_digits(t, n, i + 7)) >= 0)
        ;
    else if (n - i >= 2 && is_lower(t[i]) && t[i + 1] == '=') {
        j = skip_digits(t, n, i + 2);
        while (j >= 0 && n - j >= 3 && t[j] == ',' && is_lower(t[j + 1]) && t[j + 2] == '=') {
            Py_ssize_t k = skip_digits(t, n, j + 3);
            if (k < 0)
                break;
            j = k;
        }
    }
    return j >= 0 && j < n && t[j] == '$' ? j + 1 : -1;
}

/* token._CRYPT_PREFIX.match: `^\$[0-9a-z]{1,10}\$` and as many groups as follow; its length, or 0 (no match). */
static Py_ssize_t
crypt_head(const Py_UCS1 *t, Py_ssize_t n)
{
    Py_ssize_t i = 1;
    if (n < 1 || t[0] != '$')
        return 0;
    while (i < n && i <= 10 && (is_digit(t[i]) || is_lower(t[i])))
        i++;
    if (i == 1 || i >= n || t[i] != '$')
        return 0;
    i++;
    for (Py_ssize_t j; (j = crypt_group(t, n, i)) >= 0;)
        i = j;
    return i;
}

static const char lower_hex[] = "0123456789abcdef", upper_hex[] = "0123456789ABCDEF";
static const char digits[] = "0123456789", uppers[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", lowers[] = "abcdefghijklmnopqrstuvwxyz";

/* Token._stream: shake_256(digest(value)).digest(length), into `out` (room for `length`). */
static int
stream_of(TokenFake *fake, PyObject *value, Py_ssize_t length, unsigned char *out)
{
    unsigned char digest[64];
    Py_ssize_t size = kd_digest(fake->digest, (const char *)PyUnicode_1BYTE_DATA(value), PyUnicode_GET_LENGTH(value),
                                digest);
    if (size < 0)
        return -1;
    PyObject *seed = PyBytes_FromStringAndSize((const char *)digest, size);
    PyObject *xof = seed != NULL ? PyObject_CallOneArg(fake->shake, seed) : NULL;
    Py_XDECREF(seed);
    PyObject *stream = xof != NULL ? PyObject_CallMethod(xof, "digest", "n", length) : NULL;
    Py_XDECREF(xof);
    if (stream == NULL)
        return -1;
    if (!PyBytes_Check(stream) || PyBytes_GET_SIZE(stream) < length) {
        Py_DECREF(stream);
        PyErr_SetString(PyExc_TypeError, "TokenFake: shake_256(...).digest(n) must give n bytes");
        return -1;
    }
    memcpy(out, PyBytes_AS_STRING(stream), (size_t)length);
    Py_DECREF(stream);
    return 0;
}

static PyObject *
token_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    TokenFake *fake = (TokenFake *)self;
    PyObject *value = args[0];
    Py_ssize_t length = PyUnicode_GET_LENGTH(value), dashes = 0;
    if (!PyUnicode_IS_ASCII(value) || length == 0)
        return fake_fallback(&fake->head, args);
    const Py_UCS1 *text = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t head = fake->crypt && text[0] == '$' ? crypt_head(text, length) : 0;
    if (text[0] == '$' && (head == 0 || head == length)) /* no header, or nothing after it: Python */
        return fake_fallback(&fake->head, args);
    int lower_hex_only = 1, upper_hex_only = 1, replaced = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS1 c = text[i];
        if (c == '_') /* a prefix to keep: Python */
            return fake_fallback(&fake->head, args);
        dashes += c == '-';
        if (i < head || fake->kept[c])
            continue;
        replaced = 1;
        lower_hex_only &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        upper_hex_only &= (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    }
    if (length == 36 && dashes == 4) /* maybe a UUID, faked by value: Python */
        return fake_fallback(&fake->head, args);
    PyObject *result = PyUnicode_New(length, 127);
    if (result == NULL)
        return NULL;
    /* the header as it is; the stream (of the whole value's digest, as long as the body), then the fake over it */
    unsigned char *out = (unsigned char *)PyUnicode_1BYTE_DATA(result);
    memcpy(out, text, (size_t)head);
    unsigned char *stream = out + head;
    if (stream_of(fake, value, length - head, stream) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    for (Py_ssize_t i = head; i < length; i++) {
        Py_UCS1 c = text[i];
        unsigned char b = out[i];
        if (fake->kept[c])
            out[i] = c;
        else if (replaced && lower_hex_only)
            out[i] = (unsigned char)lower_hex[b % 16];
        else if (replaced && upper_hex_only)
            out[i] = (unsigned char)upper_hex[b % 16];
        else if (c >= '0' && c <= '9')
            out[i] = (unsigned char)digits[b % 10];
        else if (c >= 'A' && c <= 'Z')
            out[i] = (unsigned char)uppers[b % 26];
        else
            out[i] = (unsigned char)lowers[b % 26];
    }
    return fake_fit(&fake->head, result);
}

static void
token_dealloc(TokenFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->digest);
    Py_XDECREF(fake->shake);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
token_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *digest, *shake, *fallback;
    const char *kept;
    Py_ssize_t kept_length, max_length;
    int crypt = 0;
    static char *names[] = {"digest", "shake", "kept", "fallback", "max_length", "crypt", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOy#On|p", names, &digest, &shake, &kept, &kept_length, &fallback,
                                     &max_length, &crypt))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(shake) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "TokenFake(digest, shake, kept: bytes, fallback, max_length)");
        return NULL;
    }
    TokenFake *fake = (TokenFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = token_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = max_length;
    fake->digest = Py_NewRef(digest);
    fake->shake = Py_NewRef(shake);
    fake->crypt = crypt;
    for (Py_ssize_t i = 0; i < kept_length; i++)
        if ((unsigned char)kept[i] < 128)
            fake->kept[(unsigned char)kept[i]] = 1;
    return (PyObject *)fake;
}

PyTypeObject TokenFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.TokenFake",
    .tp_basicsize = sizeof(TokenFake),
    .tp_dealloc = (destructor)token_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "TokenFake(digest, shake, kept, fallback, max_length, crypt=False): Token's fake of a plain ASCII "
              "token (with crypt, of a password hash behind its header); other values -> fallback.",
    .tp_new = token_new,
};
