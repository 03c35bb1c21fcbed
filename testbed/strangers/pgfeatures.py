"""A stranger's database built on the PostgreSQL features real schemas use, not on devkit's SmartPOS schema.

A small storefront: customers, their orders, order lines, payments and invoices, an audit trail. What it is made
of matters more than what it holds:

- schemas: `public` (owned by a role other than the default `pg_database_owner`, with CREATE granted to PUBLIC as
  before PostgreSQL 15), `sales` and `"Audit"` (mixed case), each with its own owner and grants;
- names that need quoting: `"Customer"` with `"Full Name"` and `名前`, a table `"order"` with a column `"user"`;
- types: an enum, domains with CHECKs, a composite `address` type used as a column, arrays (a `text[]` of e-mail
  addresses), `tstzrange`, `jsonb`, and `citext` (from the contrib package, when the server has it);
- columns: identity (ALWAYS and BY DEFAULT), `serial`, a sequence of its own OWNED BY a column, a generated column;
- tables: range partitions (with a default partition), list partitions (with a default), replica identities
  (FULL and USING INDEX), row-level security (ENABLE and FORCE) with policies, a statistics object;
- constraints: CHECKs (one NOT VALID), a deferrable foreign key, an exclusion constraint, a unique index
  NULLS NOT DISTINCT, partial and expression indexes, a trigram index when `pg_trgm` is there;
- code: functions (SQL and PL/pgSQL, one SECURITY DEFINER), triggers (one disabled, one ENABLE ALWAYS), views (one
  security_invoker), an event trigger, materialized views (one reading another, one reading another through a
  view, one holding personal data, one refreshed under row-level security, one never populated);
- metadata: comments on every kind of object, owners other than the loading role, table- and column-level
  GRANTs to a few roles, REVOKEs from PUBLIC, ALTER DEFAULT PRIVILEGES, publications; and the database's own
  comment and a setting of its own (what only `pg_dump --create` carries).

`build(dsn, scale, seed)` makes it (the same rows for the same arguments); `personal_values(dsn)` lists the
personal values it holds, per location, for leak checks. The roles it grants to (`ROLES`) are made when missing:
roles belong to the whole server, so they are shared by every database built on it.
"""

from __future__ import annotations

import contextlib
import json
import random
from datetime import UTC, datetime, timedelta

import psycopg

ROLES = ("pgf_owner", "pgf_app", "pgf_reader")
EXTENSIONS = ("citext", "pg_trgm")

_FAMILY_KANJI = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"]
_GIVEN_KANJI = ["一郎", "太郎", "花子", "陽菜", "蓮", "結衣", "大翔", "美咲", "翔太", "さくら", "健", "愛"]
_FAMILY_LATIN = ["Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor", "Clark"]
_GIVEN_LATIN = ["Jane", "John", "Emily", "Michael", "Olivia", "James", "Sophia", "David", "Grace", "Thomas"]
_ROMAJI = {"佐藤": "sato", "鈴木": "suzuki", "高橋": "takahashi", "田中": "tanaka", "伊藤": "ito", "渡辺": "watanabe"}
_ROMAJI |= {"山本": "yamamoto", "中村": "nakamura", "小林": "kobayashi", "加藤": "kato", "吉田": "yoshida"}
_ROMAJI |= {"山田": "yamada"}
_JP_ADDRESSES = [
    ("千代田区丸の内{n}-{m}-{k}", "東京都", "100-{p:04d}"),
    ("大阪市北区梅田{n}-{m}-{k}", "大阪府", "530-{p:04d}"),
    ("名古屋市中区栄{n}-{m}-{k}", "愛知県", "460-{p:04d}"),
    ("札幌市中央区北{n}条西{m}-{k}", "北海道", "060-{p:04d}"),
]
_US_STREETS = ["Maple Avenue", "Oak Street", "Cedar Lane", "Elm Drive", "Sunset Boulevard", "Pine Road"]
_US_CITIES = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Madison", "WI")]
_UK_STREETS = ["High Street", "Station Road", "Church Lane", "Victoria Road"]
_UK_CITIES = [("London", "SW1A"), ("Manchester", "M1"), ("Leeds", "LS1"), ("Bristol", "BS1")]
_MAIL_DOMAINS = ["example-mail.jp", "mailbox.co.jp", "webmail.com", "inbox.co.uk"]


def _schema(extensions: set[str]) -> str:
    citext = "citext" if "citext" in extensions else "text"
    trigram = (
        'CREATE INDEX customer_full_name_trgm ON public."Customer" USING gin ("Full Name" gin_trgm_ops);\n'
        "COMMENT ON INDEX public.customer_full_name_trgm IS 'fuzzy name search';\n"
        "COMMENT ON EXTENSION pg_trgm IS 'trigram matching, for the name search';\n"
        if "pg_trgm" in extensions
        else ""
    )
    citext_comment = "COMMENT ON EXTENSION citext IS 'case-insensitive product codes';\n" if citext == "citext" else ""
    return f"""
ALTER SCHEMA public OWNER TO pgf_owner;
GRANT CREATE ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'the storefront: customers and their orders';
CREATE SCHEMA sales AUTHORIZATION pgf_owner;
CREATE SCHEMA "Audit" AUTHORIZATION pgf_app;
GRANT USAGE ON SCHEMA sales TO pgf_app, pgf_reader;
GRANT USAGE ON SCHEMA "Audit" TO pgf_reader;
COMMENT ON SCHEMA sales IS 'what was sold and paid';
COMMENT ON SCHEMA "Audit" IS 'who did what, when';
{citext_comment}
CREATE TYPE public.address AS (street text, city text, region text, postal_code text, country char(2));
COMMENT ON TYPE public.address IS 'a postal address';
COMMENT ON COLUMN public.address.postal_code IS 'as written in its country';
CREATE TYPE sales.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
COMMENT ON TYPE sales.order_status IS 'an order''s life';
REVOKE USAGE ON TYPE sales.order_status FROM PUBLIC;
GRANT USAGE ON TYPE sales.order_status TO pgf_app;
CREATE DOMAIN public.email_address AS text
    CONSTRAINT email_address_shape CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+$');
COMMENT ON DOMAIN public.email_address IS 'one e-mail address';
COMMENT ON CONSTRAINT email_address_shape ON DOMAIN public.email_address IS 'something@somewhere';
CREATE DOMAIN sales.positive_amount AS numeric(12,2) CONSTRAINT positive_amount_check CHECK (VALUE > 0);

CREATE TABLE public."Customer" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Full Name" text NOT NULL,
    "名前" text,
    emails text[] NOT NULL DEFAULT '{{}}',
    primary_email public.email_address,
    home_address public.address,
    country char(2) NOT NULL CONSTRAINT customer_country_code CHECK (country ~ '^[A-Z]{{2}}$'),
    vip boolean,
    created_at timestamptz NOT NULL,
    updated_at timestamptz
);
COMMENT ON TABLE public."Customer" IS 'people who buy';
COMMENT ON COLUMN public."Customer"."Full Name" IS 'as the customer wrote it';
COMMENT ON COLUMN public."Customer"."名前" IS '漢字の氏名';
COMMENT ON COLUMN public."Customer".emails IS 'every address the customer gave';
COMMENT ON CONSTRAINT customer_country_code ON public."Customer" IS 'ISO 3166-1 alpha-2';
CREATE UNIQUE INDEX customer_primary_email_key ON public."Customer" (lower(primary_email));
CREATE INDEX customer_recently_updated ON public."Customer" (updated_at) WHERE updated_at IS NOT NULL;
CREATE INDEX customer_emails_gin ON public."Customer" USING gin (emails);
CREATE UNIQUE INDEX customer_vip_country ON public."Customer" (country, vip) NULLS NOT DISTINCT WHERE vip;
COMMENT ON INDEX public.customer_primary_email_key IS 'one customer per address';
{trigram}ALTER TABLE public."Customer" REPLICA IDENTITY FULL;
CREATE STATISTICS public.customer_country_created (ndistinct, dependencies) ON country, vip FROM public."Customer";
COMMENT ON STATISTICS public.customer_country_created IS 'country and vip go together';
ALTER TABLE public."Customer" OWNER TO pgf_owner;
GRANT SELECT ON public."Customer" TO pgf_reader;
GRANT SELECT (id, "名前", country), UPDATE ("名前") ON public."Customer" TO pgf_app;

CREATE TABLE public."order" (
    id bigserial PRIMARY KEY,
    "user" text NOT NULL,
    customer_id bigint NOT NULL
        CONSTRAINT order_customer_fk REFERENCES public."Customer" (id) DEFERRABLE INITIALLY DEFERRED,
    status sales.order_status NOT NULL DEFAULT 'new',
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    total_with_tax numeric(12,2) GENERATED ALWAYS AS (round(amount * 1.10, 2)) STORED,
    ship_to public.address,
    note text,
    placed_at timestamptz NOT NULL,
    updated_at timestamptz
);
ALTER TABLE public."order" ADD CONSTRAINT order_note_short CHECK (length(note) < 400) NOT VALID;
COMMENT ON TABLE public."order" IS 'one purchase';
COMMENT ON COLUMN public."order"."user" IS 'the e-mail address the order was placed with';
COMMENT ON COLUMN public."order".total_with_tax IS 'computed: 10% consumption tax';
COMMENT ON CONSTRAINT order_customer_fk ON public."order" IS 'checked at commit';
COMMENT ON SEQUENCE public.order_id_seq IS 'order numbers';
CREATE INDEX order_placed_brin ON public."order" USING brin (placed_at);
CREATE INDEX order_user_lower ON public."order" (lower("user")) INCLUDE (status);
ALTER TABLE public."order" ENABLE ROW LEVEL SECURITY;
ALTER TABLE public."order" FORCE ROW LEVEL SECURITY;
CREATE POLICY order_own ON public."order" FOR SELECT TO pgf_app USING ("user" = current_user);
CREATE POLICY order_reader ON public."order" AS PERMISSIVE FOR SELECT TO pgf_reader USING (status <> 'cancelled');
COMMENT ON POLICY order_own ON public."order" IS 'the app sees an order only as its customer';
ALTER TABLE public."order" OWNER TO pgf_app;
GRANT SELECT, INSERT, UPDATE ON public."order" TO pgf_reader;
GRANT SELECT ON public."order" TO pgf_owner WITH GRANT OPTION;
GRANT USAGE ON SEQUENCE public.order_id_seq TO pgf_reader;

CREATE TABLE sales.product (
    code {citext} PRIMARY KEY,
    title text NOT NULL,
    price sales.positive_amount NOT NULL,
    discontinued boolean
);
CREATE UNIQUE INDEX product_title_key ON sales.product (title, discontinued) NULLS NOT DISTINCT;
COMMENT ON TABLE sales.product IS 'what the shop sells';
COMMENT ON COLUMN sales.product.code IS 'case-insensitive';

CREATE TABLE sales.order_line (
    order_id bigint NOT NULL REFERENCES public."order" (id) ON DELETE CASCADE,
    line smallint NOT NULL,
    product {citext} NOT NULL REFERENCES sales.product (code) ON UPDATE CASCADE,
    qty integer NOT NULL CONSTRAINT order_line_qty_check CHECK (qty > 0),
    CONSTRAINT order_line_pkey PRIMARY KEY (order_id, line)
);
ALTER TABLE sales.order_line REPLICA IDENTITY USING INDEX order_line_pkey;
COMMENT ON TABLE sales.order_line IS 'what an order holds';

CREATE TABLE sales.payment (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    order_id bigint NOT NULL,
    paid_at timestamptz NOT NULL,
    amount sales.positive_amount NOT NULL,
    card_holder text,
    CONSTRAINT payment_pkey PRIMARY KEY (id, paid_at)
) PARTITION BY RANGE (paid_at);
CREATE TABLE sales.payment_2023 PARTITION OF sales.payment FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE sales.payment_2024 PARTITION OF sales.payment FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE sales.payment_other PARTITION OF sales.payment DEFAULT;
ALTER TABLE sales.payment ADD CONSTRAINT payment_order_fk FOREIGN KEY (order_id) REFERENCES public."order" (id);
CREATE INDEX payment_order_idx ON sales.payment (order_id);
COMMENT ON TABLE sales.payment IS 'money received, partitioned by year';
COMMENT ON TABLE sales.payment_other IS 'anything outside the yearly partitions';
COMMENT ON COLUMN sales.payment.card_holder IS 'the name embossed on the card';
ALTER TABLE sales.payment OWNER TO pgf_owner;
ALTER TABLE sales.payment_2023 OWNER TO pgf_owner;
ALTER TABLE sales.payment_2024 OWNER TO pgf_owner;
ALTER TABLE sales.payment_other OWNER TO pgf_owner;

CREATE SEQUENCE sales.invoice_no_seq START 1000 INCREMENT 7;
CREATE TABLE sales.invoice (
    no integer PRIMARY KEY DEFAULT nextval('sales.invoice_no_seq'),
    order_id bigint NOT NULL REFERENCES public."order" (id),
    billing_period tstzrange NOT NULL,
    CONSTRAINT invoice_periods_apart EXCLUDE USING gist (billing_period WITH &&)
);
ALTER SEQUENCE sales.invoice_no_seq OWNED BY sales.invoice.no;
COMMENT ON CONSTRAINT invoice_periods_apart ON sales.invoice IS 'billing periods never overlap';

CREATE TABLE sales.coupon (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    issued_to bigint REFERENCES public."Customer" (id) ON DELETE SET NULL,
    redeemed_at timestamptz
);

CREATE TABLE "Audit".event (
    id bigint GENERATED ALWAYS AS IDENTITY,
    kind text NOT NULL,
    actor text,
    detail jsonb,
    at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_pkey PRIMARY KEY (id, kind)
) PARTITION BY LIST (kind);
CREATE TABLE "Audit".event_session PARTITION OF "Audit".event FOR VALUES IN ('login', 'logout');
CREATE TABLE "Audit".event_order PARTITION OF "Audit".event FOR VALUES IN ('order');
CREATE TABLE "Audit".event_other PARTITION OF "Audit".event DEFAULT;
COMMENT ON TABLE "Audit".event IS 'the audit trail, by kind';
COMMENT ON COLUMN "Audit".event.actor IS 'e-mail address of whoever acted';
ALTER TABLE "Audit".event OWNER TO pgf_app;
ALTER TABLE "Audit".event_session OWNER TO pgf_app;
ALTER TABLE "Audit".event_order OWNER TO pgf_app;
ALTER TABLE "Audit".event_other OWNER TO pgf_app;
GRANT SELECT ON "Audit".event TO pgf_reader;

CREATE FUNCTION public.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION public.touch_updated_at() IS 'keeps updated_at current';
CREATE TRIGGER customer_touch BEFORE UPDATE ON public."Customer"
    FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
CREATE TRIGGER order_touch BEFORE UPDATE ON public."order"
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION public.touch_updated_at();
ALTER TABLE public."order" ENABLE ALWAYS TRIGGER order_touch;
COMMENT ON TRIGGER customer_touch ON public."Customer" IS 'every update is stamped';

CREATE FUNCTION "Audit".log_order() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO "Audit".event (kind, actor, detail) VALUES ('order', NEW."user", jsonb_build_object('order', NEW.id));
    RETURN NEW;
END $$;
ALTER FUNCTION "Audit".log_order() OWNER TO pgf_app;
REVOKE EXECUTE ON FUNCTION "Audit".log_order() FROM PUBLIC;
CREATE TRIGGER order_audit AFTER INSERT ON public."order" FOR EACH ROW EXECUTE FUNCTION "Audit".log_order();
ALTER TABLE public."order" DISABLE TRIGGER order_audit;
COMMENT ON TRIGGER order_audit ON public."order" IS 'disabled: the audit is written by the app';

CREATE FUNCTION sales.order_total(order_id bigint) RETURNS numeric LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT coalesce(sum(p.price * l.qty), 0) FROM sales.order_line l JOIN sales.product p ON p.code = l.product
        WHERE l.order_id = order_total.order_id;
    END;
COMMENT ON FUNCTION sales.order_total(bigint) IS 'sum of an order''s lines';
ALTER FUNCTION sales.order_total(bigint) OWNER TO pgf_owner;
REVOKE EXECUTE ON FUNCTION sales.order_total(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sales.order_total(bigint) TO pgf_app;

CREATE VIEW public.customer_contact WITH (security_invoker = true) AS
    SELECT id, "Full Name", primary_email, (home_address).city AS city FROM public."Customer";
COMMENT ON VIEW public.customer_contact IS 'how to reach a customer';
COMMENT ON COLUMN public.customer_contact.city IS 'from the home address';
ALTER VIEW public.customer_contact OWNER TO pgf_owner;
GRANT SELECT ON public.customer_contact TO pgf_app;

CREATE MATERIALIZED VIEW sales.daily_revenue AS
    SELECT (paid_at AT TIME ZONE 'Asia/Tokyo')::date AS day, count(*) AS payments, sum(amount) AS revenue
    FROM sales.payment GROUP BY 1;
CREATE UNIQUE INDEX daily_revenue_day ON sales.daily_revenue (day);
COMMENT ON MATERIALIZED VIEW sales.daily_revenue IS 'revenue per day (Tokyo time)';
ALTER MATERIALIZED VIEW sales.daily_revenue OWNER TO pgf_owner;
GRANT SELECT ON sales.daily_revenue TO pgf_reader;
CREATE MATERIALIZED VIEW sales.good_days AS
    SELECT day, revenue FROM sales.daily_revenue WHERE revenue >= (SELECT avg(revenue) FROM sales.daily_revenue);
COMMENT ON MATERIALIZED VIEW sales.good_days IS 'days at or above the average: reads daily_revenue';
ALTER MATERIALIZED VIEW sales.good_days OWNER TO pgf_owner;
-- Reads daily_revenue through a view: refreshed after it, although its name sorts first.
CREATE VIEW sales.monthly_revenue AS
    SELECT date_trunc('month', day)::date AS month, sum(revenue) AS revenue FROM sales.daily_revenue GROUP BY 1;
CREATE MATERIALIZED VIEW sales.best_month AS
    SELECT month, revenue FROM sales.monthly_revenue ORDER BY revenue DESC, month LIMIT 1;
COMMENT ON MATERIALIZED VIEW sales.best_month IS 'the best month so far, through the monthly_revenue view';
CREATE MATERIALIZED VIEW "Audit".customer_directory AS
    SELECT c.id, c."Full Name", c."名前", c.primary_email, (c.home_address).city AS city, count(o.id) AS orders
    FROM public."Customer" c LEFT JOIN public."order" o ON o.customer_id = c.id
    GROUP BY c.id;
COMMENT ON MATERIALIZED VIEW "Audit".customer_directory IS 'customers with their order counts';
-- Refreshed as its owner, whom the row-level security of "order" filters: cancelled orders are not counted.
CREATE MATERIALIZED VIEW sales.orders_by_status AS
    SELECT status, count(*) AS orders FROM public."order" GROUP BY status WITH NO DATA;
ALTER MATERIALIZED VIEW sales.orders_by_status OWNER TO pgf_reader;
COMMENT ON MATERIALIZED VIEW sales.orders_by_status IS 'as the reader role sees them';
CREATE MATERIALIZED VIEW sales.slow_report AS SELECT product, sum(qty) AS sold FROM sales.order_line GROUP BY 1
    WITH NO DATA;
COMMENT ON MATERIALIZED VIEW sales.slow_report IS 'refreshed by hand, never yet';

CREATE FUNCTION public.note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    NULL;  -- a hook for DDL auditing; deliberately does nothing here
END $$;
CREATE EVENT TRIGGER note_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.note_ddl();
COMMENT ON EVENT TRIGGER note_ddl IS 'DDL audit hook';

ALTER DEFAULT PRIVILEGES FOR ROLE pgf_owner IN SCHEMA sales GRANT SELECT ON TABLES TO pgf_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE pgf_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE pgf_app IN SCHEMA "Audit" GRANT SELECT ON TABLES TO pgf_reader;

CREATE PUBLICATION pgf_orders FOR TABLE public."order", sales.order_line WITH (publish = 'insert, update');
CREATE PUBLICATION pgf_audit FOR TABLES IN SCHEMA "Audit";
COMMENT ON PUBLICATION pgf_orders IS 'orders for the warehouse';
"""


def ensure_roles(dsn: str) -> None:
    """The roles the schema grants to and hands objects to (NOLOGIN: nobody logs in as them)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for role in ROLES:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                with contextlib.suppress(psycopg.errors.DuplicateObject):  # made meanwhile by another build
                    conn.execute(f"CREATE ROLE {role} NOLOGIN")


def available_extensions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", (list(EXTENSIONS),))
        return {name for (name,) in rows}


def _kanji_name(rng: random.Random) -> tuple[str, str]:
    family, given = rng.choice(_FAMILY_KANJI), rng.choice(_GIVEN_KANJI)
    return family + given, _ROMAJI[family]


def _latin_name(rng: random.Random) -> tuple[str, str]:
    given, family = rng.choice(_GIVEN_LATIN), rng.choice(_FAMILY_LATIN)
    return f"{given} {family}", f"{given}.{family}".lower()


def _address(rng: random.Random, country: str) -> tuple[str, str, str, str, str]:
    if country == "JP":
        street, region, postal = rng.choice(_JP_ADDRESSES)
        line = street.format(n=rng.randint(1, 9), m=rng.randint(1, 20), k=rng.randint(1, 30))
        city = line[: line.index("区") + 1] if "区" in line else line[:3]
        return line, city, region, postal.format(p=rng.randint(1, 9999)), "JP"
    if country == "US":
        city, state = rng.choice(_US_CITIES)
        return f"{rng.randint(10, 9999)} {rng.choice(_US_STREETS)}", city, state, f"{rng.randint(10000, 99999)}", "US"
    city, area = rng.choice(_UK_CITIES)
    postcode = f"{area} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    return f"{rng.randint(1, 200)} {rng.choice(_UK_STREETS)}", city, "", postcode, "GB"


def build(dsn: str, scale: float = 1.0, seed: int = 1) -> dict[str, int]:
    """Create the schema in the (empty) database at `dsn` and fill it; the same scale and seed give the same rows.
    Returns the row count of every table (partitions by their own name) and populated materialized view."""
    ensure_roles(dsn)
    extensions = available_extensions(dsn)
    rng = random.Random(seed)
    customers = max(12, int(120 * scale))
    epoch = datetime(2023, 1, 1, tzinfo=UTC)
    with psycopg.connect(dsn) as conn:
        for extension in sorted(extensions):
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension} WITH SCHEMA public")
        conn.execute(_schema(extensions))
        with conn.cursor() as cur:
            products = [(f"SKU-{n:03d}", f"Item {n:03d}", f"{rng.randint(100, 20000) / 100:.2f}") for n in range(40)]
            products = [(c.lower() if n % 3 == 0 else c, t, p, None) for n, (c, t, p) in enumerate(products)]
            cur.executemany("INSERT INTO sales.product VALUES (%s, %s, %s, %s)", products)
            rows = []
            mails: list[str] = []
            for n in range(customers):
                country = rng.choice(["JP", "JP", "US", "GB"])
                if country == "JP":
                    full, local = _kanji_name(rng)
                    kanji = full
                else:
                    full, local = _latin_name(rng)
                    kanji = _kanji_name(rng)[0] if rng.random() < 0.3 else None
                mail = f"{local}{n}@{rng.choice(_MAIL_DOMAINS)}"
                tags = ("work", "old")[: rng.randint(0, 2)]
                others = [f"{local}.{tag}{n}@{rng.choice(_MAIL_DOMAINS)}" for tag in tags]
                mails.append(mail)
                address = _address(rng, country)
                created = epoch + timedelta(days=rng.randint(0, 500), seconds=rng.randint(0, 86399))
                updated = created + timedelta(days=rng.randint(1, 90)) if rng.random() < 0.4 else None
                vip = True if n == 0 else (False if rng.random() < 0.5 else None)
                rows.append(
                    (full, kanji, [mail, *others], mail.upper() if n % 7 == 0 else mail, address)
                    + (country, vip, created, updated)
                )
            cur.executemany(
                'INSERT INTO public."Customer" ("Full Name", "名前", emails, primary_email, home_address, country,'
                " vip, created_at, updated_at) OVERRIDING SYSTEM VALUE"
                " VALUES (%s, %s, %s, %s, ROW(%s, %s, %s, %s, %s)::public.address, %s, %s, %s, %s)",
                [(r[0], r[1], r[2], r[3], *r[4], *r[5:]) for r in rows],
            )
            orders = []
            for _ in range(customers * 3):
                customer = rng.randint(1, customers)
                country = rows[customer - 1][5]
                ship = rows[customer - 1][4] if rng.random() < 0.7 else _address(rng, country)
                placed = epoch + timedelta(days=rng.randint(0, 800), seconds=rng.randint(0, 86399))
                note = None
                if rng.random() < 0.3:
                    note = rng.choice(["置き配希望", "Leave at the door", "ギフト包装", "Call on arrival"])
                status = rng.choice(["new", "paid", "paid", "shipped", "cancelled"])
                amount = f"{rng.randint(500, 90000) / 100:.2f}"
                orders.append((mails[customer - 1], customer, status, amount, *ship, note, placed))
            cur.executemany(
                'INSERT INTO public."order" ("user", customer_id, status, amount, ship_to, note, placed_at)'
                " VALUES (%s, %s, %s, %s, ROW(%s, %s, %s, %s, %s)::public.address, %s, %s)",
                orders,
            )
            lines = []
            for order_id in range(1, len(orders) + 1):
                for line in range(1, rng.randint(1, 3) + 1):
                    lines.append((order_id, line, rng.choice(products)[0].upper(), rng.randint(1, 4)))
            cur.executemany("INSERT INTO sales.order_line VALUES (%s, %s, %s, %s)", lines)
            payments = []
            for order_id, order in enumerate(orders, start=1):
                if order[2] in ("paid", "shipped"):
                    paid = order[-1] + timedelta(hours=rng.randint(0, 48))
                    holder = rows[order[1] - 1][0] if rng.random() < 0.8 else None
                    if holder is not None and rows[order[1] - 1][5] != "JP":
                        holder = holder.upper()
                    payments.append((order_id, paid, order[3], holder))
            cur.executemany(
                "INSERT INTO sales.payment (order_id, paid_at, amount, card_holder) VALUES (%s, %s, %s, %s)", payments
            )
            invoices = []
            for n, order_id in enumerate(sorted(rng.sample(range(1, len(orders) + 1), len(orders) // 4))):
                start = epoch + timedelta(hours=2 * n)
                invoices.append((order_id, f"[{start.isoformat()},{(start + timedelta(hours=1)).isoformat()})"))
            cur.executemany("INSERT INTO sales.invoice (order_id, billing_period) VALUES (%s, %s)", invoices)
            coupons = [
                (f"CPN-{rng.randrange(16**8):08X}-{n}", rng.randint(1, customers) if rng.random() < 0.7 else None)
                for n in range(customers // 2)
            ]
            cur.executemany("INSERT INTO sales.coupon (code, issued_to) VALUES (%s, %s)", coupons)
            events = []
            for _ in range(customers * 2):
                kind = rng.choice(["login", "logout", "order", "refund", "export"])
                actor = rng.choice(mails)
                detail = {"ip": f"198.51.100.{rng.randint(1, 254)}", "by": actor} if kind != "export" else {"rows": 3}
                at = epoch + timedelta(days=rng.randint(0, 700))
                events.append((kind, actor, json.dumps(detail), at))
            cur.executemany('INSERT INTO "Audit".event (kind, actor, detail, at) VALUES (%s, %s, %s, %s)', events)
        conn.execute("REFRESH MATERIALIZED VIEW sales.daily_revenue")
        conn.execute("REFRESH MATERIALIZED VIEW sales.good_days")
        conn.execute("REFRESH MATERIALIZED VIEW sales.best_month")
        conn.execute('REFRESH MATERIALIZED VIEW "Audit".customer_directory')
        conn.execute("REFRESH MATERIALIZED VIEW sales.orders_by_status")
        # the database's own properties (pg_dump --create's): production's, never a snapshot's
        database = conn.info.dbname.replace('"', '""')
        conn.execute(f"""COMMENT ON DATABASE "{database}" IS 'the production storefront'""")
        conn.execute(f"""ALTER DATABASE "{database}" SET work_mem TO '16MB'""")
        # sequences that moved past their rows, as production's do after rollbacks
        conn.execute("SELECT setval('public.order_id_seq', (SELECT max(id) + 5 FROM public.\"order\"))")
        conn.execute("SELECT nextval('sales.invoice_no_seq')")
        counts = conn.execute(
            "SELECT n.nspname || '.' || c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE (c.relkind = 'r' OR c.relkind = 'm' AND c.relispopulated)"
            " AND n.nspname IN ('public', 'sales', 'Audit')"
        ).fetchall()
        return {
            name: conn.execute(f"SELECT count(*) FROM {_regclass_sql(conn, oid)}").fetchone()[0] for name, oid in counts
        }


def _regclass_sql(conn: psycopg.Connection, oid: int) -> str:
    return str(conn.execute("SELECT %s::regclass::text", (oid,)).fetchone()[0])


# location -> SQL listing the personal values found there (one text value per row)
_PERSONAL = {
    "public.Customer.Full Name": 'SELECT "Full Name" FROM public."Customer"',
    "public.Customer.名前": 'SELECT "名前" FROM public."Customer"',
    "public.Customer.emails[]": 'SELECT unnest(emails) FROM public."Customer"',
    "public.Customer.primary_email": 'SELECT primary_email FROM public."Customer"',
    "public.Customer.home_address.street": 'SELECT (home_address).street FROM public."Customer"',
    "public.Customer.home_address.postal_code": 'SELECT (home_address).postal_code FROM public."Customer"',
    "public.order.user": 'SELECT "user" FROM public."order"',
    "public.order.ship_to.street": 'SELECT (ship_to).street FROM public."order"',
    "public.order.ship_to.postal_code": 'SELECT (ship_to).postal_code FROM public."order"',
    "sales.payment.card_holder": "SELECT card_holder FROM sales.payment",
    "Audit.event.actor": 'SELECT actor FROM "Audit".event',
    "Audit.event.detail.$.by": """SELECT detail ->> 'by' FROM "Audit".event""",
}


def personal_values(dsn: str) -> dict[str, set[str]]:
    """Every personal value of the database at `dsn` (built by `build`), by where it sits: `schema.table.column`
    as the catalog spells the names (no quotes), then `[]` for an array's elements, `.field` for a composite
    type's field, `.$.key` for a JSON path."""
    with psycopg.connect(dsn) as conn:
        return {where: {str(v) for (v,) in conn.execute(query) if v} for where, query in _PERSONAL.items()}
