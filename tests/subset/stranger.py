"""A stranger's schema for subsets (not SmartPOS): a self-reference (categories.parent_id), a mutual reference
cycle (teams.lead_id <-> employees.team_id, both nullable), a composite foreign key (events -> products), a
partitioned table (events by month), a table referenced only by a virtual reference into JSON (notes.body ->
employees), a lookup table reached only as a parent (countries) and one no path reaches (settings)."""

from __future__ import annotations

import psycopg

SCHEMA = """
CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
CREATE TABLE tenants (id int PRIMARY KEY, country text REFERENCES countries, name text NOT NULL);
CREATE TABLE categories (
    id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, parent_id int REFERENCES categories, name text);
CREATE INDEX ON categories (tenant_id);
CREATE INDEX ON categories (parent_id);
CREATE TABLE employees (
    id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, team_id int, name text,
    code text UNIQUE GENERATED ALWAYS AS ('E' || id) STORED);
CREATE TABLE badges (id int PRIMARY KEY, employee_code text REFERENCES employees (code));
CREATE INDEX ON badges (employee_code);
CREATE TABLE teams (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, lead_id int REFERENCES employees);
ALTER TABLE employees ADD FOREIGN KEY (team_id) REFERENCES teams;
CREATE INDEX ON employees (tenant_id);
CREATE TABLE products (
    tenant_id int NOT NULL REFERENCES tenants, sku text NOT NULL, category_id int REFERENCES categories,
    PRIMARY KEY (tenant_id, sku));
CREATE TABLE events (
    id bigint NOT NULL, at date NOT NULL, tenant_id int, sku text, kind text,
    PRIMARY KEY (id, at), FOREIGN KEY (tenant_id, sku) REFERENCES products) PARTITION BY RANGE (at);
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
CREATE INDEX ON events (tenant_id, sku);
CREATE TABLE notes (id serial PRIMARY KEY, body jsonb NOT NULL);
CREATE TABLE settings (name text PRIMARY KEY, value text);
"""

TABLES = (
    "public.countries",
    "public.tenants",
    "public.categories",
    "public.employees",
    "public.teams",
    "public.products",
    "public.events",
    "public.notes",
    "public.settings",
    "public.badges",
)
KEYS = {
    "public.countries": ("code",), "public.tenants": ("id",), "public.categories": ("id",),
    "public.employees": ("id",), "public.teams": ("id",), "public.products": ("tenant_id", "sku"),
    "public.events": ("id", "at"), "public.notes": ("id",), "public.settings": ("name",),
    "public.badges": ("id",),
}  # fmt: skip

RULES = """
version: 1
tables:
  countries: {columns: {code: keep, name: keep}}
  tenants: {columns: {id: keep, country: keep, name: keep}}
  categories: {columns: {id: keep, tenant_id: keep, parent_id: keep, name: keep}}
  employees: {columns: {id: keep, tenant_id: keep, team_id: keep, name: keep, code: keep}}
  badges: {columns: {id: keep, employee_code: keep}}
  teams: {columns: {id: keep, tenant_id: keep, lead_id: keep}}
  products: {columns: {tenant_id: keep, sku: keep, category_id: keep}}
  events: {columns: {id: keep, at: keep, tenant_id: keep, sku: keep, kind: keep}}
  notes: {columns: {id: keep, body: keep}}
  settings: {columns: {name: keep, value: keep}}
subset:
  whole: [settings]
  references:
    - {table: notes, expression: "(body->>'author')::int", references: employees}
"""


def fill(dsn: str, tenants: int = 6) -> None:
    """Deterministic rows: per tenant a category tree three deep, teams whose leads are employees of other teams,
    employees without a team, products in categories (some in none), events in both partitions (some referencing
    no product), notes whose JSON names an author (some none, some another tenant's employee)."""
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO countries VALUES ('JP', 'Japan'), ('FR', 'France'), ('BR', 'Brazil')")
        conn.execute("INSERT INTO settings VALUES ('theme', 'dark'), ('locale', 'ja')")
        for t in range(1, tenants + 1):
            conn.execute("INSERT INTO tenants VALUES (%s, %s, %s)", (t, ("JP", "FR", None)[t % 3], f"tenant {t}"))
            base = t * 100
            conn.execute("INSERT INTO categories VALUES (%s, %s, NULL, 'root')", (base, t))
            for c in range(1, 4):
                conn.execute("INSERT INTO categories VALUES (%s, %s, %s, 'mid')", (base + c, t, base))
                conn.execute("INSERT INTO categories VALUES (%s, %s, %s, 'leaf')", (base + 10 + c, t, base + c))
            for e in range(1, 6):
                conn.execute("INSERT INTO employees VALUES (%s, %s, NULL, %s)", (base + e, t, f"emp {e}"))
            for b, employee in enumerate((f"E{base + 1}", f"E{base + 5}", None), 1):
                conn.execute("INSERT INTO badges VALUES (%s, %s)", (base + b, employee))
            for m in range(1, 3):
                conn.execute("INSERT INTO teams VALUES (%s, %s, %s)", (base + m, t, base + m))
            conn.execute("UPDATE employees SET team_id = %s WHERE id IN (%s, %s)", (base + 1, base + 2, base + 3))
            conn.execute("UPDATE employees SET team_id = %s WHERE id = %s", (base + 2, base + 1))
            for p in range(1, 5):
                category = None if p == 4 else base + 10 + p
                conn.execute("INSERT INTO products VALUES (%s, %s, %s)", (t, f"sku-{p}", category))
            for n in range(1, 9):
                sku = None if n % 4 == 0 else f"sku-{n % 4}"
                at = f"2025-0{1 + n % 2}-{10 + n}"
                conn.execute("INSERT INTO events VALUES (%s, %s, %s, %s, 'sale')", (base + n, at, t, sku))
            author = (base + 1, (t % tenants + 1) * 100 + 4, None)
            for n in range(3):
                body = f'{{"author": {author[n]}, "text": "hi"}}' if author[n] else '{"text": "anon"}'
                conn.execute("INSERT INTO notes (body) VALUES (%s::jsonb)", (body,))
