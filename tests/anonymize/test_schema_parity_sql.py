"""Reading owners, privileges and publications out of pg_dump's SQL text (anonymize/schema_parity.py): statements
are cut where PostgreSQL would cut them, whatever quotes and comments hold, and each is told by its TOC entry."""

from __future__ import annotations

from anonymize.schema_parity import OWNER, PRIVILEGE, PUBLICATION, Entry, metadata_statements, split_statements

DUMP = """--
-- PostgreSQL database dump
--

\\restrict AbCdEf123

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: app
--

CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
    EXECUTE 'ALTER TABLE x OWNER TO y;';  -- not a statement of the dump
    RETURN $$;$$ || E'it\\'s; fine' || '/*' || 'a''b;';
END $body$;


ALTER FUNCTION public.f() OWNER TO app;

--
-- Name: Weird; Table; Type: TABLE; Schema: public; Owner: Big Boss
--

/* a comment; /* nested; */ still; */
CREATE TABLE public."Weird; Table" ("x;y" int);


ALTER TABLE public."Weird; Table" OWNER TO "Big Boss";

--
-- Name: Weird; Table_id_seq; Type: SEQUENCE; Schema: public; Owner: Big Boss
--

ALTER TABLE public."Weird; Table_id_seq" OWNER TO "Big Boss";

--
-- Name: pub; Type: PUBLICATION; Schema: -; Owner: app
--

CREATE PUBLICATION pub WITH (publish = 'insert');


ALTER PUBLICATION pub OWNER TO app;

--
-- Name: PUBLICATION pub; Type: COMMENT; Schema: -; Owner: app
--

COMMENT ON PUBLICATION pub IS 'a; comment';

--
-- Name: TABLE "Weird; Table"; Type: COMMENT; Schema: public; Owner: Big Boss
--

COMMENT ON TABLE public."Weird; Table" IS 'stays with the objects';

--
-- Name: TABLE "Weird; Table"; Type: ACL; Schema: public; Owner: Big Boss
--

REVOKE ALL ON TABLE public."Weird; Table" FROM PUBLIC;
SET SESSION AUTHORIZATION app;
GRANT SELECT("x;y") ON TABLE public."Weird; Table" TO reader;
RESET SESSION AUTHORIZATION;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: public; Owner: app
--

ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA public GRANT SELECT ON TABLES  TO reader;

\\unrestrict AbCdEf123
"""


def test_statements_are_cut_where_postgresql_cuts_them() -> None:
    statements = list(split_statements(DUMP))
    texts = [sql for _, sql in statements]
    assert texts[0] == "SET statement_timeout = 0;"  # the \restrict line is no statement
    function = next(sql for sql in texts if sql.startswith("CREATE FUNCTION"))
    assert function.endswith("END $body$;") and "it\\'s; fine" in function
    assert 'CREATE TABLE public."Weird; Table" ("x;y" int);' in texts
    assert not [sql for sql in texts if "unrestrict" in sql or "nested" in sql]
    entries = {sql: entry for entry, sql in statements}
    assert entries["ALTER FUNCTION public.f() OWNER TO app;"] == Entry("FUNCTION", "f()")
    assert entries["COMMENT ON PUBLICATION pub IS 'a; comment';"] == Entry("COMMENT", "PUBLICATION pub")
    assert entries["SET statement_timeout = 0;"] == Entry(None)


def test_owners_then_sequences_then_privileges_and_publications_first() -> None:
    statements = metadata_statements(DUMP)
    assert [(s.kind, s.sql) for s in statements] == [
        (PUBLICATION, "CREATE PUBLICATION pub WITH (publish = 'insert');"),
        (PUBLICATION, "ALTER PUBLICATION pub OWNER TO app;"),
        (PUBLICATION, "COMMENT ON PUBLICATION pub IS 'a; comment';"),
        (OWNER, "ALTER FUNCTION public.f() OWNER TO app;"),
        (OWNER, 'ALTER TABLE public."Weird; Table" OWNER TO "Big Boss";'),
        (OWNER, 'ALTER TABLE public."Weird; Table_id_seq" OWNER TO "Big Boss";'),
        (PRIVILEGE, 'REVOKE ALL ON TABLE public."Weird; Table" FROM PUBLIC;'),
        (PRIVILEGE, "SET SESSION AUTHORIZATION app;"),
        (PRIVILEGE, 'GRANT SELECT("x;y") ON TABLE public."Weird; Table" TO reader;'),
        (PRIVILEGE, "RESET SESSION AUTHORIZATION;"),
        (PRIVILEGE, "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA public GRANT SELECT ON TABLES  TO reader;"),
    ]
    assert [s.sequence for s in statements if s.kind == OWNER] == [False, False, True]
