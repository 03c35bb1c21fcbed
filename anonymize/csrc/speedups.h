/* anonymize._speedups: the per-value hot paths of a snapshot in C (see setup.py). Every function has a pure-Python
 * reference in the package that stays the fallback; tests/anonymize/test_speedups.py holds them to equal answers. */
#ifndef ANONYMIZE_SPEEDUPS_H
#define ANONYMIZE_SPEEDUPS_H

/* Bumped with every change of a function's signature or meaning: anonymize/speedups.py ignores a build whose API
 * differs (an old .so left in place by a failed optional rebuild), falling back to Python. */
#define SPEEDUPS_API 12

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* re's \d (Py_UNICODE_ISDECIMAL) with the ASCII answer inlined: run for every character of many values. */
#define IS_DECIMAL(c) ((c) < 128 ? ((c) >= '0' && (c) <= '9') : Py_UNICODE_ISDECIMAL(c))

/* copy_text.c */
int ct_init(void);
Py_ssize_t ct_field_starts(const char *data, Py_ssize_t length, Py_ssize_t *starts, Py_ssize_t limit);
PyObject *ct_decode(const char *start, Py_ssize_t length);
PyObject *ct_encode(PyObject *value);
typedef struct {
    char *data;
    Py_ssize_t size, capacity, item; /* items held, room for, bytes per item */
} Buffer;
int buffer_push(Buffer *buffer, const void *item);
PyObject *buffer_bytes(const Buffer *buffer);

/* leak_keys.c */
int lk_init(void);
PyObject *lk_make_key(PyObject *value);
int lk_append_keys(PyObject *keys, PyObject *value);
Py_hash_t lk_salted_hash(PyObject *salt, PyObject *key);
PyObject *lk_text_output_keys(PyObject *value);
int lk_output_hashes(PyObject *value, PyObject *salt, Buffer *out);
PyObject *py_leak_key(PyObject *module, PyObject *value);
PyObject *py_name_key(PyObject *module, PyObject *value);
PyObject *py_latin_text(PyObject *module, PyObject *value);
PyObject *py_leak_keys(PyObject *module, PyObject *value);
PyObject *py_hashed_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *py_text_output_keys(PyObject *module, PyObject *value);
PyObject *py_text_output_hashes(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* rows.c */
PyObject *py_transform_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* scan.c */
PyObject *py_scan_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* json_walk.c */
PyObject *py_json_strings(PyObject *module, PyObject *node);
PyObject *py_json_rules(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *py_json_rest(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* digits.c */
PyObject *py_fill_digits(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

/* row.c */
extern PyTypeObject RowType;
int row_check(PyObject *object);
void row_set_line(PyObject *row, PyObject *line, const Py_ssize_t *starts);

PyObject *row_value(PyObject *row, PyObject *name);

/* feistel.c, keyed_digest.c, indexer.c */
extern PyTypeObject FeistelType;
extern PyTypeObject KeyedDigestType;
extern PyTypeObject IndexerType;
Py_ssize_t kd_digest(PyObject *digest, const char *data, Py_ssize_t length, unsigned char *out);

/* Transformers' common cases in C, each a callable (value, row) -> fake that hands every other value to its
 * `fallback`, the transformer's own transform (fakes.c: the shared plumbing; ip.c, dates.c, card.c, person_name.c, phone.c, address.c,
 * email.c, token.c) */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *fallback;    /* the transformer's transform(value, row) */
    Py_ssize_t max_length; /* the column's, or -1 */
} FakeHead;
/* A fake that needs nothing but a digest: (digest, fallback, max_length) -> made here, called by `call`. */
typedef struct {
    FakeHead head;
    PyObject *digest; /* str -> bytes: the transformer's keyed digest */
} DigestFake;
PyObject *digest_fake_new(PyTypeObject *type, PyObject *args, PyObject *kwargs, vectorcallfunc call);
void digest_fake_dealloc(PyObject *self);
int fake_digest_words(PyObject *digest, const char *data, Py_ssize_t length, int words, unsigned long long *out);
int fake_arguments(PyObject *const *args, size_t nargsf, PyObject *kwnames);
PyObject *fake_fallback(FakeHead *fake, PyObject *const *args);
PyObject *fake_fit(FakeHead *fake, PyObject *text);
PyObject *fake_ascii(FakeHead *fake, const char *text, Py_ssize_t length);
int fake_is_blank(PyObject *value);
void fake_strip(const Py_UCS1 *text, Py_ssize_t *first, Py_ssize_t *last);
char *fake_put_decimal(char *out, unsigned long long value, int width);
void fake_clear(FakeHead *fake);
extern PyTypeObject Ipv4FakeType;
extern PyTypeObject DateShiftFakeType;
extern PyTypeObject CardFakeType;
extern PyTypeObject NameFakeType;
extern PyTypeObject PhoneFakeType;
extern PyTypeObject AddressFakeType;
extern PyTypeObject EmailFakeType;
extern PyTypeObject TokenFakeType;

#endif
