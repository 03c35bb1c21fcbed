from anonymize import normalize
from anonymize.columns import ColumnInfo, max_length_of, type_family


def test_full_width_and_case_fold_to_one_value() -> None:
    assert normalize.email("  Taro.Yamada@EXAMPLE.jp ") == "taro.yamada@example.jp"
    assert normalize.email("ｔａｒｏ＠example.jp") == "taro@example.jp"
    assert normalize.digits("０９０－１２３４－５６７８") == "09012345678"
    assert normalize.name("山田　太郎") == normalize.name("山田太郎") == normalize.name(" 山田 太郎 ")
    assert normalize.text("a \t b\n c") == "a b c"
    assert normalize.dashes("090ー1234－5678") == "090-1234-5678"


def test_type_families_from_format_type() -> None:
    cases = {
        "character varying(255)": "text",
        "text": "text",
        "character(2)": "text",
        "bigint": "integer",
        "smallint": "integer",
        "numeric(12,2)": "numeric",
        "double precision": "numeric",
        "boolean": "boolean",
        "date": "date",
        "timestamp(3) with time zone": "timestamp",
        "timestamp without time zone": "timestamp",
        "jsonb": "json",
        "uuid": "uuid",
        "inet": "inet",
        "cidr": "inet",
        "bytea": "bytea",
        "text[]": "other",
        "interval": "other",
        "public.mood": "other",
        "public.citext": "text",
    }
    assert {t: type_family(t) for t in cases} == cases


def test_max_length_and_domain_base_type() -> None:
    assert max_length_of("character varying(40)") == 40
    assert max_length_of("character(12)") == 12
    assert max_length_of("text") is None
    column = ColumnInfo("public.t", "c", "public.email_address", base_type="character varying(80)")
    assert column.family == "text" and column.max_length == 80
    assert ColumnInfo("public.t", "c", "character varying(9)").max_length == 9
