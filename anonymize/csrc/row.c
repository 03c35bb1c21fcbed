/* pipeline.slots.LazyRow in C: the source row as a read-only mapping for transformers keyed on another column
 * (key_column, entity_column), decoding a field only when asked. The row loop points it at each line in turn
 * (row_set_line) instead of splitting the line into a list of fields for it. */
#include "speedups.h"

#include <string.h>

typedef struct {
    PyObject_HEAD
    PyObject *index;     /* column name -> position in the line */
    PyObject *line;      /* the current line (bytes), or None */
    Py_ssize_t width;
    Py_ssize_t *starts;  /* field k is line[starts[k], starts[k + 1] - 1) */
} Row;

static PyObject *
row_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *index;
    static char *names[] = {"index", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!", names, &PyDict_Type, &index))
        return NULL;
    Py_ssize_t width = 0, position = 0;
    PyObject *name, *value;
    while (PyDict_Next(index, &position, &name, &value)) {
        Py_ssize_t at = PyLong_AsSsize_t(value);
        if (at < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "Row: positions must be non-negative integers");
            return NULL;
        }
        if (at + 1 > width)
            width = at + 1;
    }
    Row *row = (Row *)type->tp_alloc(type, 0);
    if (row == NULL)
        return NULL;
    row->starts = PyMem_Malloc(sizeof(Py_ssize_t) * (width + 1));
    if (row->starts == NULL) {
        Py_DECREF(row);
        return PyErr_NoMemory();
    }
    Py_INCREF(index);
    row->index = index;
    Py_INCREF(Py_None);
    row->line = Py_None;
    row->width = width;
    return (PyObject *)row;
}

static void
row_dealloc(Row *row)
{
    Py_XDECREF(row->index);
    Py_XDECREF(row->line);
    PyMem_Free(row->starts);
    Py_TYPE(row)->tp_free((PyObject *)row);
}

int
row_check(PyObject *object)
{
    return Py_IS_TYPE(object, &RowType);
}

/* Point the row at `line`, whose field starts (`count` fields, `width` at least) the caller has just found. */
void
row_set_line(PyObject *object, PyObject *line, const Py_ssize_t *starts)
{
    Row *row = (Row *)object;
    Py_INCREF(line);
    Py_SETREF(row->line, line);
    memcpy(row->starts, starts, sizeof(Py_ssize_t) * (row->width + 1));
}

/* The value at `position` (None for NULL), or NULL with KeyError when there is no line or no such field. */
static PyObject *
row_field(Row *row, PyObject *position_object, PyObject *name)
{
    Py_ssize_t position = PyLong_AsSsize_t(position_object);
    if (position == -1 && PyErr_Occurred())
        return NULL;
    if (row->line == Py_None || position >= row->width) {
        PyErr_SetObject(PyExc_KeyError, name);
        return NULL;
    }
    const char *raw = PyBytes_AS_STRING(row->line) + row->starts[position];
    Py_ssize_t length = row->starts[position + 1] - 1 - row->starts[position];
    if (length == 2 && raw[0] == '\\' && raw[1] == 'N')
        Py_RETURN_NONE;
    return ct_decode(raw, length);
}

static PyObject *
row_get(Row *row, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(name, default=None)");
        return NULL;
    }
    PyObject *position = PyDict_GetItemWithError(row->index, args[0]);
    if (position == NULL) {
        if (PyErr_Occurred())
            return NULL;
        PyObject *fallback = nargs == 2 ? args[1] : Py_None;
        Py_INCREF(fallback);
        return fallback;
    }
    return row_field(row, position, args[0]);
}

/* `row.get(name)` for the C fakes: a Row's field decoded straight from its line, any other mapping asked. */
PyObject *
row_value(PyObject *object, PyObject *name)
{
    if (!row_check(object))
        return PyObject_CallMethod(object, "get", "O", name);
    Row *row = (Row *)object;
    PyObject *position = PyDict_GetItemWithError(row->index, name);
    if (position == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    return row_field(row, position, name);
}

static PyObject *
row_getitem(Row *row, PyObject *name)
{
    PyObject *position = PyDict_GetItemWithError(row->index, name);
    if (position == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, name);
        return NULL;
    }
    return row_field(row, position, name);
}

static Py_ssize_t
row_length(Row *row)
{
    return PyDict_GET_SIZE(row->index);
}

static PyObject *
row_iter(Row *row)
{
    return PyObject_GetIter(row->index);
}

static PyMethodDef row_methods[] = {
    {"get", (PyCFunction)(void (*)(void))row_get, METH_FASTCALL, "get(name, default=None): the value, decoded"},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods row_mapping = {
    .mp_length = (lenfunc)row_length,
    .mp_subscript = (binaryfunc)row_getitem,
};

PyTypeObject RowType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "anonymize._speedups.Row",
    .tp_basicsize = sizeof(Row),
    .tp_dealloc = (destructor)row_dealloc,
    .tp_as_mapping = &row_mapping,
    .tp_iter = (getiterfunc)row_iter,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_MAPPING,
    .tp_doc = "Row(index): the current source line as a mapping of column name -> value (see pipeline.slots.LazyRow).",
    .tp_methods = row_methods,
    .tp_new = row_new,
};
