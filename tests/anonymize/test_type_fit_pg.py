"""Every transformer's output is accepted by PostgreSQL for the column it was ruled on: types, lengths,
check digits aside, and unique constraints hold. Source rows are read and fakes written in text form, as the
pipeline does."""

from __future__ import annotations

import json
import random
import uuid

import psycopg
from faker import Faker

from anonymize.keys import Keyring
from anonymize.rules import check_coverage, parse_rules, reflect_schema
from anonymize.transformers.digits import luhn_check_digit
from anonymize.transformers.factory import build_transformer
from anonymize.transformers.identifiers import corporate_check_digit, my_number_check_digit

COLUMNS = """
    id int PRIMARY KEY,
    email varchar(60) UNIQUE,
    phone varchar(13),
    name varchar(8) NOT NULL,
    kana varchar(20),
    pan char(16) UNIQUE,
    corp varchar(13),
    mynum char(12),
    acct varchar(7),
    ip inet,
    net cidr,
    uid uuid UNIQUE,
    tok varchar(32),
    doc jsonb,
    d date,
    ts timestamptz,
    amount numeric(7,2),
    qty smallint,
    blob bytea,
    addr varchar(30),
    company varchar(20),
    note varchar(40),
    flag boolean
"""

RULES = """
version: 1
tables:
  src: &rules
    columns:
      id: keep
      email: email
      phone: phone
      name: person_name
      kana: {transform: person_name, params: {script: katakana, key_column: name}}
      pan: card_pan
      corp: corporate_number
      mynum: my_number
      acct: bank_account
      ip: ip
      net: ip
      uid: token
      tok: token
      doc: {transform: json, params: {paths: {$.email: email}, other_strings: free_text}}
      d: {transform: date_shift, params: {entity_column: id}}
      ts: {transform: date_shift, params: {entity_column: id}}
      amount: {transform: numeric_noise, params: {relative: 0.5}}
      qty: {transform: numeric_noise, params: {absolute: 100}}
      blob: token
      addr: address
      company: company_name
      note: free_text
      flag: {transform: constant, params: {value: "true"}}
  dst: *rules
"""


def _source_rows(count: int) -> list[tuple]:
    fake = Faker("ja_JP")
    Faker.seed(20240131)
    rng = random.Random(1)
    rows = []
    for i in range(count):
        pan_body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
        corp_body = f"{rng.randrange(10**12):012d}"
        my_body = f"{rng.randrange(10**11):011d}"
        email = f"u{i}@{fake.free_email_domain()}"
        row = (
            i,
            email if i % 7 else None,  # NULLs stay NULL
            f"090-{i // 10000:04d}-{i % 10000:04d}",
            fake.name()[:8],
            fake.kana_name()[:20],
            pan_body + luhn_check_digit(pan_body),
            corp_check := corporate_check_digit(corp_body) + corp_body,
            my_body + my_number_check_digit(my_body),
            f"{rng.randrange(10**7):07d}",
            f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            f"10.{i % 256}.0.0/16",
            str(uuid.UUID(int=rng.getrandbits(128))),
            f"{rng.getrandbits(128):032x}",
            json.dumps({"email": email, "memo": f"tel {fake.phone_number()}", "n": i}),
            "2024-02-29",
            "2024-03-31 23:59:59.5+09",
            f"{rng.randrange(10**7) / 100:.2f}",
            str(rng.randrange(32767)),
            "\\x" + rng.randbytes(8).hex(),
            fake.address()[:30],
            fake.company()[:20],
            f"連絡先 {fake.phone_number()} {email}"[:40],
            "false",
        )
        del corp_check
        rows.append(row)
    return rows


def test_fakes_load_into_their_columns(pg_database: str) -> None:
    keyring = Keyring(b"type-fit-test-key-0123456789")
    rows = _source_rows(3000)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE src ({COLUMNS}); CREATE TABLE dst ({COLUMNS})")
        with conn.cursor().copy("COPY src FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        schema = reflect_schema(conn)
        rules = parse_rules(RULES)
        assert check_coverage(rules, schema) == []
        columns = schema["public.src"]
        names = [c.name for c in columns]
        transformers = [build_transformer(rules.tables["public.src"].columns[c.name], c, keyring) for c in columns]
        changed = 0
        sources = conn.execute(f"SELECT {', '.join(f'{n}::text' for n in names)} FROM src ORDER BY id").fetchall()
        with conn.cursor().copy("COPY dst FROM STDIN") as copy:
            for source in sources:
                row = dict(zip(names, source, strict=True))
                out = []
                for value, transformer in zip(source, transformers, strict=True):
                    new = None if value is None else transformer.transform(value, row)
                    changed += new != value
                    out.append(new)
                copy.write_row(out)
        counts = conn.execute(
            "SELECT count(*), count(email), count(DISTINCT email), count(DISTINCT pan), count(DISTINCT uid) FROM dst"
        ).fetchone()
        assert counts == (3000, sum(1 for r in rows if r[1]), sum(1 for r in rows if r[1]), 3000, 3000)
        same = conn.execute(
            "SELECT count(*) FROM src JOIN dst USING (id) WHERE src.email = dst.email OR src.phone = dst.phone"
            " OR src.pan = dst.pan OR src.note = dst.note OR src.addr = dst.addr"
        ).fetchone()
        assert same == (0,)
        # The payload's email got the same fake as the email column of the same row.
        assert conn.execute("SELECT count(*) FROM dst WHERE doc->>'email' IS DISTINCT FROM email").fetchone() == (
            sum(1 for r in rows if r[1] is None),
        )
    assert changed > 3000 * 15
