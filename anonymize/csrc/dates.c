/* transformers.dates.DateShift's fake of a value starting YYYY-MM-DD in ASCII (a date column, a timestamp's date):
 * the date moved by its entity's keyed offset, the rest of the value kept. An entity in ASCII digits (a row id) gets
 * its offset here, any other from DateShift.offset_for; values of other shapes (and BC dates) go to the Python
 * transform. Calendar arithmetic as CPython's datetime (proleptic Gregorian, ordinal 1 = 0001-01-01). */
#include "speedups.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#define MAX_ORDINAL 3652059 /* date(9999, 12, 31).toordinal() */

typedef struct {
    FakeHead head;
    PyObject *digest;        /* DateShift._digest */
    PyObject *offset_for;    /* DateShift.offset_for: entity text -> offset, for entities that aren't digits */
    PyObject *entity_column; /* str, or None: the whole domain shares one offset */
    long long span;          /* range_days */
} DateShiftFake;

static const int days_before_month[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static int
is_leap(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int
days_in_month(int year, int month)
{
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month];
}

static long
ymd_to_ordinal(int year, int month, int day)
{
    long y = year - 1;
    return y * 365 + y / 4 - y / 100 + y / 400 + days_before_month[month] + (month > 2 && is_leap(year)) + day;
}

/* CPython's ord_to_ymd */
static void
ordinal_to_ymd(long ordinal, int *year, int *month, int *day)
{
    long n = ordinal - 1;
    long n400 = n / 146097;
    n %= 146097;
    long n100 = n / 36524;
    n %= 36524;
    long n4 = n / 1461;
    n %= 1461;
    long n1 = n / 365;
    n %= 365;
    *year = (int)(n400 * 400 + 1 + n100 * 100 + n4 * 4 + n1);
    if (n1 == 4 || n100 == 4) {
        *year -= 1;
        *month = 12;
        *day = 31;
        return;
    }
    int leap = n1 == 3 && (n4 != 24 || n100 == 3);
    *month = (int)((n + 50) >> 5);
    long preceding = days_before_month[*month] + (*month > 2 && leap);
    if (preceding > n) {
        *month -= 1;
        preceding -= days_in_month(*year, *month);
    }
    *day = (int)(n - preceding + 1);
}

static int
digits_at(const Py_UCS1 *text, Py_ssize_t start, Py_ssize_t count, int *value)
{
    *value = 0;
    for (Py_ssize_t i = start; i < start + count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        *value = *value * 10 + (text[i] - '0');
    }
    return 1;
}

/* The entity's offset in [-span, -1] U [1, span], or LLONG_MIN with an exception set. */
static long long
entity_offset(DateShiftFake *fake, PyObject *row)
{
    PyObject *entity = NULL;
    if (fake->entity_column != Py_None) {
        entity = row_value(row, fake->entity_column);
        if (entity == NULL)
            return LLONG_MIN;
    }
    if (entity != NULL && PyUnicode_Check(entity) && PyUnicode_IS_ASCII(entity) && PyUnicode_GET_LENGTH(entity) > 0) {
        const Py_UCS1 *text = PyUnicode_1BYTE_DATA(entity);
        Py_ssize_t length = PyUnicode_GET_LENGTH(entity), i = 0;
        while (i < length && text[i] >= '0' && text[i] <= '9')
            i++;
        if (i == length) { /* text_key of ASCII digits is the digits: _offset's draw, here */
            unsigned long long number;
            int failed = fake_digest_words(fake->digest, (const char *)text, length, 1, &number);
            Py_DECREF(entity);
            if (failed < 0)
                return LLONG_MIN;
            long long draw = (long long)(number % (unsigned long long)(2 * fake->span));
            return draw < fake->span ? draw - fake->span : draw - fake->span + 1;
        }
    }
    PyObject *key = entity != NULL && entity != Py_None ? entity : PyUnicode_FromStringAndSize("", 0);
    if (key != entity)
        Py_XDECREF(entity);
    if (key == NULL)
        return LLONG_MIN;
    PyObject *offset = PyObject_CallOneArg(fake->offset_for, key);
    Py_DECREF(key);
    if (offset == NULL)
        return LLONG_MIN;
    long long result = PyLong_AsLongLong(offset);
    Py_DECREF(offset);
    if (result == -1 && PyErr_Occurred())
        return LLONG_MIN;
    return result;
}

static PyObject *
date_shift_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (fake_arguments(args, nargsf, kwnames) < 0)
        return NULL;
    DateShiftFake *fake = (DateShiftFake *)self;
    PyObject *value = args[0];
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (!PyUnicode_IS_ASCII(value) || length < 10)
        return fake_fallback(&fake->head, args);
    const Py_UCS1 *text = PyUnicode_1BYTE_DATA(value);
    int year, month, day;
    if (!digits_at(text, 0, 4, &year) || text[4] != '-' || !digits_at(text, 5, 2, &month) || text[7] != '-' ||
        !digits_at(text, 8, 2, &day) || (length > 10 && text[10] >= '0' && text[10] <= '9') ||
        memchr(text, 'B', (size_t)length) != NULL)
        return fake_fallback(&fake->head, args);
    long long offset = entity_offset(fake, args[1]);
    if (offset == LLONG_MIN)
        return NULL;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return Py_NewRef(value); /* date.fromisoformat refuses it: sentinels and impossible dates stay */
    long long shifted = ymd_to_ordinal(year, month, day) + offset;
    if (shifted < 1 || shifted > MAX_ORDINAL)
        return Py_NewRef(value);
    ordinal_to_ymd((long)shifted, &year, &month, &day);
    PyObject *result = PyUnicode_New(length, 127);
    if (result == NULL)
        return NULL;
    char *out = (char *)PyUnicode_1BYTE_DATA(result);
    fake_put_decimal(out, (unsigned long long)year, 4); /* 1 <= year <= 9999: four digits */
    out[4] = '-';
    fake_put_decimal(out + 5, (unsigned long long)month, 2);
    out[7] = '-';
    fake_put_decimal(out + 8, (unsigned long long)day, 2);
    memcpy(out + 10, text + 10, (size_t)(length - 10));
    return result;
}

static void
date_shift_dealloc(DateShiftFake *fake)
{
    fake_clear(&fake->head);
    Py_XDECREF(fake->digest);
    Py_XDECREF(fake->offset_for);
    Py_XDECREF(fake->entity_column);
    Py_TYPE(fake)->tp_free((PyObject *)fake);
}

static PyObject *
date_shift_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *digest, *offset_for, *entity_column, *fallback;
    long long span;
    static char *names[] = {"digest", "span", "entity_column", "offset_for", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLOOO", names, &digest, &span, &entity_column, &offset_for,
                                     &fallback))
        return NULL;
    if (!PyCallable_Check(digest) || !PyCallable_Check(offset_for) || !PyCallable_Check(fallback) || span < 1 ||
        (entity_column != Py_None && !PyUnicode_Check(entity_column))) {
        PyErr_SetString(PyExc_TypeError,
                        "DateShiftFake(digest, span >= 1, entity_column: str | None, offset_for, fallback)");
        return NULL;
    }
    DateShiftFake *fake = (DateShiftFake *)type->tp_alloc(type, 0);
    if (fake == NULL)
        return NULL;
    fake->head.vectorcall = date_shift_call;
    fake->head.fallback = Py_NewRef(fallback);
    fake->head.max_length = -1;
    fake->digest = Py_NewRef(digest);
    fake->offset_for = Py_NewRef(offset_for);
    fake->entity_column = Py_NewRef(entity_column);
    fake->span = span;
    return (PyObject *)fake;
}

PyTypeObject DateShiftFakeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.DateShiftFake",
    .tp_basicsize = sizeof(DateShiftFake),
    .tp_dealloc = (destructor)date_shift_dealloc,
    .tp_vectorcall_offset = offsetof(FakeHead, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "DateShiftFake(digest, span, entity_column, offset_for, fallback): DateShift's shift of a "
              "YYYY-MM-DD... value; other values -> fallback.",
    .tp_new = date_shift_new,
};
