/* devkit.seed._speedups: the seed generators' hot paths in C.
 *
 * encode: the generators' COPY text lines re-encoded as COPY (FORMAT binary). Why: the server's text input functions (timestamptz_in's date parser above all, uuid_in, int8in, inet_in) cost
 * about as much CPU as the rest of a seed's COPY; their binary counterparts read fixed-width values
 * (bench: server-side COPY of a 0.82M-row staging seed, 2.44 s text against 1.17 s binary). The text lines stay
 * the seed's source of truth: the checksums are computed over them, and this module only re-encodes each field.
 * A line it can't re-encode exactly (a backslash escape, a value outside the shapes the generators write) makes
 * the whole call return None, and the caller sends that block's text instead: never a different value.
 *
 * Column kinds, one byte each: 'u' uuid (canonical 36-char form), 's' text/varchar, '2' '4' '8' int2/4/8,
 * 'T' timestamptz written as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, 'b' boolean (t/f), 'i' inet (dotted IPv4 host),
 * 'j' jsonb (binary version 1 + its text). \N is NULL in any column.
 *
 * digest_sums: checksum.TableDigest's sums of the md5 of each line, hashlib.md5 per line in Python costing about
 * as much again as the hashing itself. MD5 as RFC 1321 defines it (held to hashlib by the tests).
 *
 * tab_join: transactions.lines, rows tab-joined from columns (a list per column, or one bytes constant).
 *
 * timestamps: epoch seconds as transactions.timestamps' UTC text 'YYYY-MM-DD HH:MM:SS.000000' (numpy's
 * datetime_as_string and a glue pass before).
 *
 * decimals: int64s as decimal text, what numpy's astype("S20").tolist() gives at a fifth of its cost (it was a
 * seventh of a seed worker's CPU, py-spy). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static const char SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
#define PG_EPOCH_DAYS 10957 /* days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch */
#define PGSQL_AF_INET 2     /* PostgreSQL's own inet family code for IPv4 (utils/inet.h: AF_INET + 0) */

/* Network byte order (big-endian), as COPY binary wants. */
static char *put16(char *out, uint16_t v) {
    v = __builtin_bswap16(v);
    memcpy(out, &v, 2);
    return out + 2;
}

static char *put32(char *out, uint32_t v) {
    v = __builtin_bswap32(v);
    memcpy(out, &v, 4);
    return out + 4;
}

static char *put64(char *out, uint64_t v) {
    v = __builtin_bswap64(v);
    memcpy(out, &v, 8);
    return out + 8;
}

static signed char hex_values[256]; /* a hex digit's value, -1 for any other byte; filled at import */

static void fill_hex_values(void) {
    memset(hex_values, -1, sizeof hex_values);
    for (int i = 0; i < 10; i++) hex_values['0' + i] = (signed char)i;
    for (int i = 0; i < 6; i++) hex_values['a' + i] = hex_values['A' + i] = (signed char)(10 + i);
}

static int hexval(char c) { return hex_values[(unsigned char)c]; }

/* Decimal digits (optional leading '-') into *value within [lo, hi]; 0 if the text is anything else. */
static int parse_int(const char *s, Py_ssize_t n, int64_t lo, int64_t hi, int64_t *value) {
    Py_ssize_t i = 0;
    int negative = n > 0 && s[0] == '-';
    if (negative) i = 1;
    if (i >= n || n - i > 19) return 0;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (negative ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return 0;
    int64_t signed_v = negative ? (int64_t)(0 - v) : (int64_t)v;
    if (signed_v < lo || signed_v > hi) return 0;
    *value = signed_v;
    return 1;
}

static int digits(const char *s, int n, int *value) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) as microseconds since 2000-01-01 00:00 UTC. */
static int parse_timestamp(const char *s, Py_ssize_t n, int64_t *micros) {
    int y, mo, d, h, mi, sec, frac;
    if (n != 26 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != '.')
        return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) || !digits(s + 20, 6, &frac))
        return 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || sec > 59) return 0;
    int64_t days = days_from_civil(y, mo, d) - PG_EPOCH_DAYS;
    *micros = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
    return 1;
}

/* Dotted-quad IPv4 without leading zeros into 4 bytes. */
static int parse_ipv4(const char *s, Py_ssize_t n, unsigned char *octets) {
    Py_ssize_t i = 0;
    for (int part = 0; part < 4; part++) {
        Py_ssize_t start = i;
        int v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1)) return 0;
        octets[part] = (unsigned char)v;
        if (part < 3) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
    }
    return i == n;
}

/* No backslash (an escape: the text is not the value) and no carriage return (the text format refuses it
 * unescaped). The other kinds' parsers accept neither byte anyway. */
static int plain(const char *s, Py_ssize_t n) {
    return !memchr(s, '\\', (size_t)n) && !memchr(s, '\r', (size_t)n);
}

/* One field's binary form at out (length word first); NULL if it can't be re-encoded exactly. */
static char *encode_field(char *out, char kind, const char *s, Py_ssize_t n) {
    if (n == 2 && s[0] == '\\' && s[1] == 'N') return put32(out, 0xFFFFFFFFu); /* NULL: length -1 */
    int64_t v;
    switch (kind) {
    case 's':
        if (!plain(s, n)) return NULL;
        out = put32(out, (uint32_t)n);
        memcpy(out, s, (size_t)n);
        return out + n;
    case 'j':
        if (!plain(s, n)) return NULL;
        out = put32(out, (uint32_t)n + 1);
        *out++ = 1; /* jsonb binary format version */
        memcpy(out, s, (size_t)n);
        return out + n;
    case 'u': {
        static const int at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
        if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return NULL;
        out = put32(out, 16);
        for (int i = 0; i < 16; i++) {
            int hi = hexval(s[at[i]]), lo = hexval(s[at[i] + 1]);
            if (hi < 0 || lo < 0) return NULL;
            *out++ = (char)(hi << 4 | lo);
        }
        return out;
    }
    case '2':
        if (!parse_int(s, n, INT16_MIN, INT16_MAX, &v)) return NULL;
        return put16(put32(out, 2), (uint16_t)v);
    case '4':
        if (!parse_int(s, n, INT32_MIN, INT32_MAX, &v)) return NULL;
        return put32(put32(out, 4), (uint32_t)v);
    case '8':
        if (!parse_int(s, n, INT64_MIN, INT64_MAX, &v)) return NULL;
        return put64(put32(out, 8), (uint64_t)v);
    case 'T':
        if (!parse_timestamp(s, n, &v)) return NULL;
        return put64(put32(out, 8), (uint64_t)v);
    case 'b':
        if (n != 1 || (s[0] != 't' && s[0] != 'f')) return NULL;
        out = put32(out, 1);
        *out++ = s[0] == 't';
        return out;
    case 'i': {
        unsigned char octets[4];
        if (!parse_ipv4(s, n, octets)) return NULL;
        out = put32(out, 8);
        *out++ = PGSQL_AF_INET;
        *out++ = 32; /* bits: a host address */
        *out++ = 0;  /* not cidr */
        *out++ = 4;  /* address bytes */
        memcpy(out, octets, 4);
        return out + 4;
    }
    default:
        return NULL;
    }
}

/* Bound on a field's growth over its text: the largest is a 1-digit int8, 1 byte of text for a 4-byte length word
 * and 8 bytes of value (+11); jsonb's version byte and inet's header add less. */
#define FIELD_OVERHEAD 13

PyDoc_STRVAR(encode_doc, "encode(lines: list[bytes], kinds: bytes) -> bytes | None\n\n"
                         "One COPY (FORMAT binary) stream (header, tuples, trailer) of the tab-separated COPY text "
                         "lines, column i of kind kinds[i]; None if any field can't be re-encoded exactly.");

static PyObject *encode(PyObject *self, PyObject *args) {
    PyObject *lines;
    const char *kinds;
    Py_ssize_t columns;
    if (!PyArg_ParseTuple(args, "O!y#", &PyList_Type, &lines, &kinds, &columns)) return NULL;
    if (columns < 1 || columns > 1600) {
        PyErr_SetString(PyExc_ValueError, "kinds: 1 to 1600 columns");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(lines), bound = 11 + 8 + 2;
    for (Py_ssize_t r = 0; r < count; r++) {
        PyObject *line = PyList_GET_ITEM(lines, r);
        if (!PyBytes_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "lines must be bytes");
            return NULL;
        }
        bound += PyBytes_GET_SIZE(line) + 2 + columns * FIELD_OVERHEAD;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, bound);
    if (!result) return NULL;
    char *start = PyBytes_AS_STRING(result), *out = start;
    memcpy(out, SIGNATURE, sizeof SIGNATURE);
    out = put32(put32(out + sizeof SIGNATURE, 0), 0); /* flags, header extension length */
    for (Py_ssize_t r = 0; r < count; r++) {
        PyObject *line = PyList_GET_ITEM(lines, r);
        const char *s = PyBytes_AS_STRING(line), *end = s + PyBytes_GET_SIZE(line);
        out = put16(out, (uint16_t)columns);
        for (Py_ssize_t c = 0; c < columns; c++) {
            const char *tab = c + 1 < columns ? memchr(s, '\t', (size_t)(end - s)) : end;
            if (!tab || (c + 1 == columns && memchr(s, '\t', (size_t)(end - s)))) goto unencodable;
            out = encode_field(out, kinds[c], s, tab - s);
            if (!out) goto unencodable;
            s = tab + 1;
        }
    }
    out = put16(out, 0xFFFFu); /* trailer */
    if (_PyBytes_Resize(&result, out - start) < 0) return NULL;
    return result;
unencodable:
    Py_DECREF(result);
    Py_RETURN_NONE;
}

/* --- md5 sums ------------------------------------------------------------------------------------------------ */

static uint32_t md5_k[64]; /* floor(|sin(i + 1)| * 2^32), RFC 1321 3.4; filled at import */
static const unsigned char md5_s[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                        5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(uint32_t h[4], const unsigned char *p) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
#pragma GCC unroll 64
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) & 15;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        f += a + md5_k[i] + m[g];
        a = d;
        d = c;
        c = b;
        b += (f << md5_s[i]) | (f >> (32 - md5_s[i]));
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

/* The md5 of s[0:n] as its two halves read big-endian (checksum.TableDigest.add's high and low). */
static void md5_halves(const unsigned char *s, Py_ssize_t n, uint64_t *high, uint64_t *low) {
    uint32_t h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    Py_ssize_t full = n & ~(Py_ssize_t)63;
    for (Py_ssize_t at = 0; at < full; at += 64) md5_block(h, s + at);
    unsigned char tail[128] = {0};
    Py_ssize_t rest = n - full, padded = rest + 9 <= 64 ? 64 : 128;
    memcpy(tail, s + full, (size_t)rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) tail[padded - 8 + i] = (unsigned char)(bits >> (8 * i));
    md5_block(h, tail);
    if (padded == 128) md5_block(h, tail + 64);
    /* The digest is h[0..3] little-endian; its first 8 bytes read big-endian are bswap(h0) bswap(h1). */
    *high = (uint64_t)__builtin_bswap32(h[0]) << 32 | __builtin_bswap32(h[1]);
    *low = (uint64_t)__builtin_bswap32(h[2]) << 32 | __builtin_bswap32(h[3]);
}

PyDoc_STRVAR(digest_sums_doc, "digest_sums(lines: list[bytes]) -> tuple[int, int, int, int]\n\n"
                              "Over the md5 of each line, halves read as signed big-endian int64: the sums of the "
                              "high half's top 32 bits (arithmetic shift) and of its low 32 bits, then the same of "
                              "the low half; exact for up to 2**31 lines.");

static PyObject *digest_sums(PyObject *self, PyObject *lines) {
    if (!PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "digest_sums: a list of bytes");
        return NULL;
    }
    int64_t sums[4] = {0, 0, 0, 0};
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(lines); r++) {
        PyObject *line = PyList_GET_ITEM(lines, r);
        if (!PyBytes_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "digest_sums: a list of bytes");
            return NULL;
        }
        uint64_t halves[2];
        md5_halves((const unsigned char *)PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line), &halves[0], &halves[1]);
        for (int i = 0; i < 2; i++) {
            sums[2 * i] += (int64_t)(int32_t)(uint32_t)(halves[i] >> 32); /* top: signed, as >> 32 of the int64 */
            sums[2 * i + 1] += (int64_t)(halves[i] & 0xFFFFFFFFu);
        }
    }
    return Py_BuildValue("(LLLL)", (long long)sums[0], (long long)sums[1], (long long)sums[2], (long long)sums[3]);
}

/* The proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *year, int *month, int *day) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static void put_digits(char *out, int64_t value, int width) {
    for (int i = width - 1; i >= 0; i--, value /= 10) out[i] = (char)('0' + value % 10);
}

/* A contiguous 1-D int64 buffer, or NULL with TypeError (the view to release on success). */
static const int64_t *int64_view(PyObject *arg, Py_buffer *view, const char *who) {
    if (PyObject_GetBuffer(arg, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (view->ndim != 1 || view->itemsize != 8 || !view->format || (strcmp(view->format, "l") && strcmp(view->format, "q"))) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s: a 1-D contiguous int64 buffer", who);
        return NULL;
    }
    return view->buf;
}

PyDoc_STRVAR(timestamps_doc, "timestamps(epoch_seconds) -> list[bytes] | None\n\n"
                             "'YYYY-MM-DD HH:MM:SS.000000' (UTC) of each int64 of a contiguous 1-D buffer; None if "
                             "one falls outside years 1..9999.");

static PyObject *timestamps(PyObject *self, PyObject *arg) {
    Py_buffer view;
    const int64_t *values = int64_view(arg, &view, "timestamps");
    if (!values) return NULL;
    Py_ssize_t count = view.shape[0];
    /* 0001-01-01 and 9999-12-31 23:59:59 as epoch seconds */
    const int64_t lowest = -62135596800LL, highest = 253402300799LL;
    for (Py_ssize_t i = 0; i < count; i++)
        if (values[i] < lowest || values[i] > highest) {
            PyBuffer_Release(&view);
            Py_RETURN_NONE;
        }
    PyObject *result = PyList_New(count);
    for (Py_ssize_t i = 0; result && i < count; i++) {
        int64_t seconds = values[i], days = seconds / 86400, rest = seconds % 86400, year;
        if (rest < 0) {
            rest += 86400;
            days -= 1;
        }
        int month, day;
        civil_from_days(days, &year, &month, &day);
        char text[26] = "0000-00-00 00:00:00.000000";
        put_digits(text, year, 4);
        put_digits(text + 5, month, 2);
        put_digits(text + 8, day, 2);
        put_digits(text + 11, rest / 3600, 2);
        put_digits(text + 14, rest / 60 % 60, 2);
        put_digits(text + 17, rest % 60, 2);
        PyObject *item = PyBytes_FromStringAndSize(text, sizeof text);
        if (!item) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, item);
    }
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(decimals_doc, "decimals(values) -> list[bytes]\n\n"
                           "The decimal text of each int64 of a contiguous 1-D buffer (a numpy int64 array).");

static PyObject *decimals(PyObject *self, PyObject *arg) {
    Py_buffer view;
    const int64_t *values = int64_view(arg, &view, "decimals");
    if (!values) return NULL;
    Py_ssize_t count = view.shape[0];
    PyObject *result = PyList_New(count);
    if (!result) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        char text[21], *end = text + sizeof text, *p = end;
        int64_t value = values[i];
        uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
        do {
            *--p = (char)('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude);
        if (value < 0) *--p = '-';
        PyObject *item = PyBytes_FromStringAndSize(p, end - p);
        if (!item) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, item);
    }
done:
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(tab_join_doc, "tab_join(columns: tuple) -> list[bytes] | None\n\n"
                           "Row i: the columns' item i (a bytes column: that constant) joined by tabs, for as many "
                           "rows as the shortest list; None if a column is neither a list nor bytes, or none is a "
                           "list.");

static PyObject *tab_join(PyObject *self, PyObject *columns) {
    if (!PyTuple_Check(columns) || PyTuple_GET_SIZE(columns) == 0) Py_RETURN_NONE;
    Py_ssize_t width = PyTuple_GET_SIZE(columns), count = -1;
    for (Py_ssize_t c = 0; c < width; c++) {
        PyObject *column = PyTuple_GET_ITEM(columns, c);
        if (PyList_Check(column)) {
            if (count < 0 || PyList_GET_SIZE(column) < count) count = PyList_GET_SIZE(column);
        } else if (!PyBytes_Check(column)) {
            Py_RETURN_NONE;
        }
    }
    if (count < 0) Py_RETURN_NONE;
    PyObject *result = PyList_New(count);
    if (!result) return NULL;
    for (Py_ssize_t r = 0; r < count; r++) {
        Py_ssize_t size = width - 1;
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *column = PyTuple_GET_ITEM(columns, c);
            PyObject *item = PyList_Check(column) ? PyList_GET_ITEM(column, r) : column;
            if (!PyBytes_Check(item)) {
                PyErr_SetString(PyExc_TypeError, "tab_join: columns of bytes");
                Py_DECREF(result);
                return NULL;
            }
            size += PyBytes_GET_SIZE(item);
        }
        PyObject *line = PyBytes_FromStringAndSize(NULL, size);
        if (!line) {
            Py_DECREF(result);
            return NULL;
        }
        char *out = PyBytes_AS_STRING(line);
        for (Py_ssize_t c = 0; c < width; c++) {
            PyObject *column = PyTuple_GET_ITEM(columns, c);
            PyObject *item = PyList_Check(column) ? PyList_GET_ITEM(column, r) : column;
            if (c) *out++ = '\t';
            memcpy(out, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
            out += PyBytes_GET_SIZE(item);
        }
        PyList_SET_ITEM(result, r, line);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"tab_join", tab_join, METH_O, tab_join_doc},
    {"encode", encode, METH_VARARGS, encode_doc},
    {"decimals", decimals, METH_O, decimals_doc},
    {"timestamps", timestamps, METH_O, timestamps_doc},
    {"digest_sums", digest_sums, METH_O, digest_sums_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "devkit.seed._speedups", "The seed generators' hot paths (csrc/speedups.c).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    for (int i = 0; i < 64; i++) md5_k[i] = (uint32_t)(fabs(sin(i + 1.0)) * 4294967296.0);
    fill_hex_values();
    return PyModule_Create(&module);
}
