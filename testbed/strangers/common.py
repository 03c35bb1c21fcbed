"""Value generators and loading helpers shared by the stranger databases' builders.

Values are shaped as the real world's: Luhn-valid card numbers on the networks' published test BINs, phone numbers
in each country's own written forms, a real (tiny) PNG for a photo. Everything draws from a seeded RNG.
"""

from __future__ import annotations

import random
import re
import string
import struct
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
from faker import Faker
from psycopg import sql

# Published test card prefixes (Stripe's and the networks' test numbers), with the PAN length each network uses.
TEST_BINS: dict[str, tuple[tuple[str, int], ...]] = {
    "visa": (("424242", 16), ("400000", 16), ("401288", 16)),
    "mastercard": (("555555", 16), ("222300", 16), ("520082", 16)),
    "amex": (("378282", 15), ("371449", 15)),
    "jcb": (("356600", 16), ("353011", 16)),
    "discover": (("601111", 16), ("601100", 16)),
}


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char)
        if i % 2 == 0:  # doubled: the check digit will sit to the right of this one
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


def card_number(rng: random.Random, brand: str) -> str:
    prefix, length = rng.choice(TEST_BINS[brand])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- phones, as each country writes them


def us_phone(rng: random.Random, digits_only: bool = False) -> str:
    """A NANP number (area code and exchange start 2-9), `415-867-5309` or `4158675309`."""
    area = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    line = digits(rng, 4)
    return f"{area}{exchange}{line}" if digits_only else f"{area}-{exchange}-{line}"


def uk_phone(rng: random.Random) -> str:
    """International form of a UK mobile or London number: `+44 7911 123456`, `+44 20 7946 0958`."""
    if rng.random() < 0.7:
        return f"+44 7{rng.randint(100, 999)} {digits(rng, 6)}"
    return f"+44 20 {rng.randint(3, 8)}{digits(rng, 3)} {digits(rng, 4)}"


def jp_mobile(rng: random.Random) -> str:
    return f"{rng.choice(['090', '080', '070'])}-{rng.randint(1000, 9999)}-{digits(rng, 4)}"


# ---------------------------------------------------------------- secrets


def password_hash(rng: random.Random) -> str:
    """A bcrypt hash's shape: `$2b$12$` + 53 characters of bcrypt's base64."""
    alphabet = "./" + string.ascii_uppercase + string.ascii_lowercase + string.digits
    return "$2b$12$" + alnum(rng, 53, alphabet)


def api_token(rng: random.Random, prefix: str) -> str:
    return prefix + alnum(rng, 32)


# ---------------------------------------------------------------- a photo


def tiny_png(rng: random.Random, size: int = 12) -> bytes:
    """A valid RGB PNG of random pixels: what a staff photo column holds, small enough for a test."""
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(size * 3)) for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- Faker and loading


class World:
    """The generators of one build: a seeded RNG, one Faker per locale, the countries people come from (ISO code,
    Faker locale, share), and the emails and logins handed out so far (they are unique in real tables)."""

    def __init__(self, seed: int, countries: Sequence[tuple[str, str, float]]) -> None:
        self.countries = countries
        self.rng = random.Random(seed)
        self.fake = fakers(seed)
        self.now = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
        self.used_emails: set[str] = set()
        self.used_logins: set[str] = set()

    def country(self) -> tuple[str, Faker]:
        code, locale, _ = self.rng.choices(self.countries, weights=[c[2] for c in self.countries])[0]
        return code, self.fake[locale]

    def person(self, country: str) -> tuple[str, str]:
        """(given, family) in the country's script."""
        fake = self.fake["ja_JP" if country == "JP" else ("en_GB" if country == "GB" else "en_US")]
        return fake.first_name(), fake.last_name()

    def full_name(self, country: str) -> str:
        given, family = self.person(country)
        return f"{family}{given}" if country == "JP" else f"{given} {family}"

    def phone(self, country: str, digits_only: bool | None = None) -> str:
        if country == "US":
            return us_phone(self.rng, self.rng.random() < 0.5 if digits_only is None else digits_only)
        return uk_phone(self.rng) if country == "GB" else jp_mobile(self.rng)

    def email(self, local: str, domain: str) -> str:
        local = re.sub(r"[^a-z0-9.]", "", local.lower()) or "user"
        candidate = f"{local}@{domain}"
        while candidate in self.used_emails:
            candidate = f"{local}{self.rng.randint(2, 999)}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def login(self, given: str, family: str) -> str:
        """jsmith, mary.jones, jsmith2 -- a person's name, as staff logins are (never a bare word like "roberts",
        which a street name would hold by chance)."""
        given, family = given.lower(), family.lower()
        given, family = re.sub(r"[^a-z]", "", given) or "x", re.sub(r"[^a-z]", "", family) or "x"
        candidate = self.rng.choice((f"{given[0]}{family}", f"{given}.{family}"))
        while candidate in self.used_logins:
            candidate = f"{candidate.rstrip(string.digits)}{self.rng.randint(2, 99)}"
        self.used_logins.add(candidate)
        return candidate

    def address(self, country: str) -> dict[str, str | None]:
        """address1, address2 (or None), city, region, postal_code in the country's forms."""
        rng = self.rng
        if country == "JP":
            fake = self.fake["ja_JP"]
            line2 = f"{fake.building_name()}{fake.town()} {rng.randint(1, 14)}0{rng.randint(1, 9)}号室"
            return {
                "address1": f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}",
                "address2": line2 if rng.random() < 0.6 else None,
                "city": fake.city(),
                "region": fake.prefecture(),
                "postal_code": fake.zipcode() if rng.random() < 0.7 else fake.zipcode().replace("-", ""),
            }
        fake = self.fake["en_GB" if country == "GB" else "en_US"]
        unit = f"{rng.randint(100, 9999)}{rng.choice('ABCDEFGH')}"
        if country == "GB":
            choices = (f"Flat {unit}", f"Flat {rng.randint(1, 40)}, {fake.last_name()} House", f"c/o {fake.name()}")
            region, postal = fake.county(), fake.postcode()
        else:
            choices = (f"Apt {unit}", f"Suite {rng.randint(100, 9999)}", f"c/o {fake.name()}")
            region, postal = fake.state_abbr(), fake.zipcode() if rng.random() < 0.8 else fake.zipcode_plus4()
        return {
            "address1": f"{rng.randint(1, 9999)} {fake.street_name()}",
            "address2": rng.choice(choices) if rng.random() < 0.6 else None,
            "city": fake.city(),
            "region": region,
            "postal_code": postal,
        }

    def moment(self, days_back: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(0, days_back * 86400))


def fakers(seed: int) -> dict[str, Faker]:
    """One seeded Faker per locale the stranger databases use."""
    out = {}
    for offset, locale in enumerate(("en_US", "en_GB", "ja_JP")):
        fake = Faker(locale)
        fake.seed_instance(seed * 7919 + offset)  # distinct streams per locale, all from the one seed
        out[locale] = fake
    return out


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(base * scale))


def copy_rows(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into `schema.table` (fast enough for benchmark scales); the number written."""
    schema, _, name = table.partition(".")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    count = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def table_counts(conn: psycopg.Connection, schemas: Sequence[str] = ("public",)) -> dict[str, int]:
    """Rows per ordinary (leaf) table, "schema.table" -> count."""
    tables = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname = ANY(%s) ORDER BY 1, 2",
        (list(schemas),),
    ).fetchall()
    return {
        f"{schema}.{name}": conn.execute(
            sql.SQL("SELECT count(*) FROM ONLY {}").format(sql.Identifier(schema, name))
        ).fetchone()[0]
        for schema, name in tables
    }
