"""Dataset builders of the stranger schemas, databases devkit has never seen (issue 13); the tests' harness
(tests/strangers) and bench/snapshot both build them.

A *builder module* (marketplace.py, payments.py, and any other with the same interface) has:

- `NAME: str` -- how reports and tests call the database;
- `build(dsn, scale=1.0, seed=1) -> dict[str, int]`: create the schema in the empty database `dsn` and fill it,
  deterministically for a seed; the rows per table ("schema.table" -> count);
- `personal_values(dsn) -> dict[str, set[str]]`: location -> the planted personal values that must never appear
  in the output, read back from the built database (so the oracle is what the source really holds);
- `locale_expectations: dict[str, tuple[str, ...]]`: location -> the locale kinds its values come in (a fake must
  be of the same kind as the value it replaces; kinds are defined in `checks.LOCALE_KINDS`);
- `id_columns: tuple[str, ...]`: locations of identifiers that must come out byte-identical;
- optionally `in_place_only: frozenset[str]`: locations of `personal_values` too common to search for everywhere
  (dates, card pieces): only their survival in their own row counts.

A location is `schema.table.column`, a JSON path inside a column `schema.table.column$.a.b`, or several parts of
one row joined by `+` (`public.customers.first_name+last_name`: the two values joined by a space). Identifiers
may be double-quoted (`public."Order"."Full Name"`). See `locations.py`.
"""
