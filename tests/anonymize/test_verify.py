"""The leak check's parts (keys, index, output scan, own-row detection) and the structural checks on real
PostgreSQL: NOT VALID foreign keys are checked by query, row counts and sequences are compared."""

from __future__ import annotations

from array import array

import psycopg

from anonymize.catalog import CatalogTable, SequenceValue
from anonymize.columns import ColumnInfo
from anonymize.copy_text import encode_line
from anonymize.keys import Keyring
from anonymize.leak_keys import leak_keys, output_keys
from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.rows import RowTransformer
from anonymize.report import VerifyReport
from anonymize.rules import ColumnRule, TableRule
from anonymize.transformers.factory import build_transformer
from anonymize.verify import (
    LeakIndex,
    LeakRecorder,
    ScanTarget,
    check_foreign_keys,
    check_row_counts,
    check_sequences,
    scan_chunk,
    tally,
)

KEY = Keyring(b"test-key-0123456789abcdef-verify")


def test_keys_fold_spelling_variants_together() -> None:
    assert leak_keys("  Taro.Yamada@Example.JP ") == ["taro.yamada@example.jp"]
    assert leak_keys("０９０－１２３４－５６７８")[-1] == leak_keys("09012345678")[-1] == "#09012345678"
    assert leak_keys("+81 90-1234-5678")[-1] == "#09012345678"
    assert leak_keys("山田　太郎") == leak_keys("山田 太郎")
    assert leak_keys("x") == []  # a single character identifies nobody
    assert leak_keys("1234567") == ["1234567"]  # short numbers: whole value only, no digit key


def test_output_keys_look_inside_json_and_free_text() -> None:
    keys = output_keys('{"buyer": {"mail": "Taro@example.jp"}, "n": 1, "tags": ["vip", "090-1234-5678"]}', True)
    assert "taro@example.jp" in keys and "#09012345678" in keys and "vip" in keys
    assert "1" not in keys  # numbers in JSON are not text
    memo = output_keys("お届け先: 090-1234-5678 (taro@example.jp) まで")
    assert "taro@example.jp" in memo and "090-1234-5678" in memo


def _index_with(identifying: list[str], other: list[str]) -> LeakIndex:
    index = LeakIndex(KEY)
    recorder = LeakRecorder.new(index.hasher)
    for value in identifying:
        recorder.record_whole(value, None, True)
    for value in other:
        recorder.record_whole(value, None, False)
    index.add(recorder.identifying.tobytes(), recorder.other.tobytes())
    return index


def test_scan_finds_identifying_values_anywhere_and_counts_names_apart() -> None:
    index = _index_with(["taro.yamada@mail.jp", "090-1111-2222"], ["山田 太郎"])
    assert index.size == 4  # email, phone, the phone's digits, the name
    columns = [
        ColumnInfo("public.t", "note", "text"),
        ColumnInfo("public.t", "payload", "jsonb"),
        ColumnInfo("public.t", "name", "text"),
    ]
    target = ScanTarget(CatalogTable("public.t", "public.t", ("note", "payload", "name"), 0, 0), columns)
    chunk = b"".join(
        [
            encode_line(["連絡は 09011112222 まで", '{"x": "fine"}', "山田 太郎"]),  # phone reformatted; a name
            encode_line(["nothing here", '{"contact": {"email": "TARO.YAMADA@mail.jp"}}', "佐藤 花子"]),
            encode_line([None, None, "鈴木 一郎"]),
        ]
    )
    report = VerifyReport()
    tally(target, index, *scan_chunk(chunk, target.is_json, index.hasher), report)
    assert report.leaks == {"public.t.note": 1, "public.t.payload": 1}
    assert report.coincidences == {"public.t.name": 1}
    assert report.output_values_checked == 7
    assert len(report.failures) == 2  # the two leaks; names are not failures


def test_hashes_are_keyed() -> None:
    one, two = LeakIndex(KEY), LeakIndex(Keyring(b"another-key-0123456789abcdef-verify"))
    assert one.hasher("taro@example.jp") != two.hasher("taro@example.jp")


def test_values_left_unchanged_in_their_own_row_are_counted() -> None:
    columns = {
        "id": ColumnInfo("public.c", "id", "bigint"),
        "email": ColumnInfo("public.c", "email", "text"),
        "status": ColumnInfo("public.c", "status", "text"),
    }
    transformers = {
        "email": build_transformer(ColumnRule(transform="email"), columns["email"], KEY),
        "status": build_transformer(ColumnRule(transform="constant", params={"value": "open"}), columns["status"], KEY),
    }
    plan = TablePlan(
        CatalogTable("public.c", "public.c", ("id", "email", "status"), 0, 0), TableRule(), columns, transformers
    )
    index = LeakIndex(KEY)
    codec = RowTransformer(plan, ("id", "email", "status"), index.hasher)
    chunk = (
        encode_line(["1", "a@b.jp", "open"]) + encode_line(["2", None, "closed"]) + encode_line(["3", "c@d.jp", "open"])
    )
    result = codec.process(chunk)
    assert result.rows == 3
    email, status = result.counts
    assert email == [2, 2, 1, 0]  # values, changed, nulls, unchanged
    assert status == [3, 1, 0, 2]  # 'open' stayed 'open' in two rows: a value left as it was
    assert b"a@b.jp" not in result.data and result.data.count(b"\n") == 3
    # 'open' repeats: hashed and sent once per process (the index holds it once anyway); 'closed' once.
    assert len(array("q", result.identifying)) == 2 and len(array("q", result.other)) == 2
    again = codec.process(encode_line(["4", "a@b.jp", "open"]))
    assert again.counts[1] == [1, 0, 0, 1] and not again.identifying and not again.other


def test_structural_checks(pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE child (id int, parent_id int, other int)")
        conn.execute("INSERT INTO parent VALUES (1), (2)")
        conn.execute("INSERT INTO child VALUES (1, 1, NULL), (2, NULL, NULL), (3, 9, NULL)")
        conn.execute(
            "ALTER TABLE child ADD CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent(id) NOT VALID"
        )
        conn.execute("CREATE TABLE ok (parent_id int REFERENCES parent(id))")
        conn.execute("CREATE SEQUENCE s")
        conn.execute("SELECT setval('s', 41)")
        report = VerifyReport()
        check_foreign_keys(conn, report)
        assert (report.foreign_keys, report.foreign_keys_validated_by_postgres) == (2, 1)
        assert report.foreign_keys_checked_by_query == 1
        assert report.foreign_key_violations == ["child: 1 row(s) break foreign key child_parent_fkey (-> parent)"]
        child = CatalogTable("public.child", "public.child", ("id", "parent_id", "other"), 0, 0)
        check_row_counts(conn, {"public.child": (child, 4)}, report)
        assert report.row_count_mismatches == ["public.child: 3 rows loaded, 4 read from the source"]
        check_sequences(conn, [SequenceValue("public.s", 41, True), SequenceValue("s", 40, True)], report)
        assert report.sequence_mismatches == ["sequence s does not stand where the source's does"]
    assert not report.passed and len(report.failures) == 3


def test_a_fake_equal_to_another_rows_real_value_is_a_collision_not_a_leak() -> None:
    index = _index_with(["090-1111-2222"], [])
    column = ColumnInfo("public.c", "phone", "text")
    table = CatalogTable("public.c", "public.c", ("phone",), 0, 0)
    faked = ScanTarget(table, [column], frozenset({"phone"}))
    kept = ScanTarget(table, [column])
    for target in (faked, kept):
        report = VerifyReport()
        tally(target, index, *scan_chunk(encode_line(["090-1111-2222"]), target.is_json, index.hasher), report)
        found = report.fake_collisions if target is faked else report.leaks
        assert found == {"public.c.phone": 2}  # the number and its digits
        assert not report.passed


def test_whole_value_transforms_count_matches_as_fake_collisions_not_leaks() -> None:
    """Phone, card and account columns skip digit-less values in leak_items, yet replace every value whole: a
    match there is one of their fakes equal to a real value (a fake collision), not a source value left over.
    Free text keeps what it doesn't recognise: a match there is a leak."""
    from anonymize.pipeline.plan import faked_columns

    names = {"phone": "phone", "card": "card_pan", "account": "bank_account", "memo": "free_text"}
    columns = {name: ColumnInfo("public.c", name, "text") for name in names}
    transformers = {
        name: build_transformer(ColumnRule(transform=transform), columns[name], KEY)
        for name, transform in names.items()
    }
    plan = TablePlan(CatalogTable("public.c", "public.c", tuple(names), 0, 0), TableRule(), columns, transformers)
    assert faked_columns([plan]) == {"public.c": frozenset({"phone", "card", "account"})}


def test_the_scans_fast_paths_hash_exactly_what_output_keys_gives() -> None:
    hasher = LeakIndex(KEY).hasher
    samples = [
        "4111111111111111",
        "1234567890",
        "123456789",
        " 09012345678",
        "+819012345678",
        "090-1234-5678",
        "a@b.jp",
        "連絡先 090-1234-5678 まで",
        "PR-abc def",
        "Tokyo,  Japan",
    ]
    for value in samples:
        hashes, positions, n = scan_chunk(encode_line([value]), [False], hasher)
        assert list(array("q", hashes)) == [hasher(key) for key in output_keys(value)], value
        assert n == 1 and set(array("h", positions)) <= {0}


def test_whole_value_slots_record_their_values_with_each_ones_flag() -> None:
    names = {"phone": "phone", "account": "bank_account"}
    columns = {name: ColumnInfo("public.m", name, "text") for name in names}
    transformers = {
        name: build_transformer(ColumnRule(transform=transform), columns[name], KEY)
        for name, transform in names.items()
    }
    plan = TablePlan(CatalogTable("public.m", "public.m", tuple(names), 0, 0), TableRule(), columns, transformers)
    codec = RowTransformer(plan, tuple(names), LeakIndex(KEY).hasher)
    result = codec.process(encode_line(["090-1234-5678", "1234567"]) + encode_line(["なし", "0001-123-1234567"]))
    phone, account = result.counts
    assert phone == [2, 1, 0, 0] and account == [2, 2, 0, 0]  # "なし" stays, and isn't a value left unchanged
    hasher = codec.hasher
    assert hasher is not None
    identifying = set(array("q", result.identifying))
    # The phone (and its bare digits) and the account with its bank and branch identify; 7 digits alone don't.
    assert {hasher("090-1234-5678"), hasher("#09012345678"), hasher("0001-123-1234567")} <= identifying
    assert set(array("q", result.other)) == {hasher("1234567")}


def test_spilled_scan_tallies_like_a_direct_scan(monkeypatch) -> None:
    """Output keys wait on disk until the index is complete; read back in batches, they count the same."""
    from anonymize.verify import ScanSpill, scan_lines

    index = _index_with(["taro.yamada@mail.jp", "090-1111-2222"], ["山田 太郎"])
    columns = [ColumnInfo("public.t", "id", "bigint"), ColumnInfo("public.t", "note", "text")]
    columns += [ColumnInfo("public.t", "name", "text")]
    table = CatalogTable("public.t", "public.t", ("id", "note", "name"), 0, 0)
    target, wanted = ScanTarget(table, columns[1:]).in_stream(["id", "note", "name"])
    assert wanted == (1, 2)
    lines = [
        encode_line([str(i), "連絡は 09011112222 まで" if i % 3 == 0 else "ok", "山田 太郎"])[:-1] for i in range(30)
    ]
    monkeypatch.setattr(ScanSpill, "_BATCH", 7)  # several batches
    spill = ScanSpill(target)
    for start in range(0, 30, 4):
        spill.add(*scan_lines(lines[start : start + 4], wanted, target.is_json, index.hasher))
    spilled = VerifyReport()
    spill.tally(index, spilled)
    direct = VerifyReport()
    tally(target, index, *scan_lines(lines, wanted, target.is_json, index.hasher), direct)
    assert spilled.leaks == direct.leaks == {"public.t.note": 10}
    assert spilled.coincidences == direct.coincidences == {"public.t.name": 30}
    assert spilled.output_values_checked == direct.output_values_checked == 60


def test_large_lookups_through_the_prefilter_find_exactly_the_members() -> None:
    import numpy as np

    from anonymize.verify import _PREFILTER_FROM, _sorted_unique

    index = _index_with([f"user{i}@mail.jp" for i in range(2000)], [f"山田 {i}" for i in range(500)])
    hasher = index.hasher
    small = np.array([hasher(f"user{i}@mail.jp") for i in range(0, 4000, 2)] + [hasher("山田 7")], dtype=np.int64)
    identifying, other = index.lookup(small)
    assert identifying.sum() == 1000 and other.sum() == 1
    # Many queries, mostly absent (the bitmap's job) with the members scattered among them.
    rng = np.random.default_rng(7)
    noise = rng.integers(-(2**63), 2**63 - 1, size=50 * _PREFILTER_FROM, dtype=np.int64)
    large = np.concatenate([noise, np.tile(small, 3)])
    rng.shuffle(large)
    identifying_large, other_large = index.lookup(large)
    assert (identifying_large == np.isin(large, small[identifying])).all()
    assert (other_large == (large == small[-1])).all()
    values = rng.integers(-50, 50, size=10_000, dtype=np.int64)
    assert (_sorted_unique(values) == np.unique(values)).all() and len(_sorted_unique(values[:1])) == 1


def test_names_in_a_column_the_rules_keep_are_a_finding() -> None:
    """A name of somebody the snapshot replaces, found in a kept column, is the source's own value (a handle or a
    name the rules missed), not a fake that happens to equal a name: named per column, and a failure once it is no
    chance match (a town that is also a surname is one row in many)."""
    index = _index_with([], ["April Houston", "Mary Jones", "Houston", "Kate"])
    columns = [ColumnInfo("public.staff", "nickname", "text"), ColumnInfo("public.staff", "city", "text")]
    columns += [ColumnInfo("public.staff", "display_name", "text")]
    table = CatalogTable("public.staff", "public.staff", ("nickname", "city", "display_name"), 0, 0)
    target = ScanTarget(table, columns, faked=frozenset({"display_name"}), kept=frozenset({"nickname", "city"}))
    rows = [["April Houston", "Houston", "Kate"], ["Mary Jones", "Leeds", "Mary Jones"], ["Kate", "Leeds", "Tom"]]
    rows += [[f"user{i}", "Leeds", "Tom Baker"] for i in range(3)]
    report = VerifyReport(table_rows={"public.staff": 6})
    tally(target, index, *scan_chunk(b"".join(encode_line(r) for r in rows), target.is_json, index.hasher), report)
    assert report.names_in_kept == {"public.staff.nickname": 4, "public.staff.city": 1}  # april houston, houston ...
    assert report.coincidences == {"public.staff.display_name": 2}  # fakes equal to names: chance
    assert report.names_in_kept_failing() == {"public.staff.nickname": 4}
    assert [f for f in report.failures if "rules keep" in f] == [
        "public.staff.nickname: 4 name(s) of people this snapshot replaces found in a column the rules keep (logins, "
        "handles or names the rules missed): rule it (username, person_name, free_text)"
    ]
