"""The Python <-> C interface from one source (anonymize/native_interface.py): the built extension carries the
constants it was compiled with, and the header setup.py generates is the one the spec gives today."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

import anonymize
from anonymize import native_interface
from anonymize.speedups import NATIVE

HEADER = Path(anonymize.__file__).parent / "csrc" / "interface.h"


def test_the_built_module_has_the_specs_constants() -> None:
    # A number changed in the spec but not rebuilt (or written by hand in a C file) differs here.
    assert NATIVE is not None
    built = {name: getattr(NATIVE, name, None) for name in native_interface.c_constants()}
    assert built == native_interface.c_constants()


def test_the_generated_header_is_the_specs() -> None:
    assert HEADER.read_text() == native_interface.c_header()


def test_every_enum_member_reaches_the_header() -> None:
    header = native_interface.c_header()
    for enum, prefix in native_interface.C_ENUMS.items():
        for member in enum:
            assert f"#define {prefix}_{member.name.upper()} {int(member)}\n" in header


def changing_slot(position: int, transform: Callable[[str, object], str]) -> native_interface.SlotSpec:
    """A slot the row loop only transforms (no leak check, no memo, no inline scan)."""
    return native_interface.SlotSpec(
        position=position,
        transform=transform,
        mode=native_interface.RecordMode.NOT_PERSONAL,
        identifying=False,
        is_json=False,
        leak_values=None,
        scan_index=-1,
        memo=None,
        origin=0,
    )


def test_the_row_loop_reads_slots_by_name() -> None:
    # rows.c reads a SlotSpec's attributes by name: the old positional tuple, or a spec missing one, is refused
    # with the missing name instead of being read field by field in the wrong order.
    assert NATIVE is not None
    line = b"1\tx"
    spec = changing_slot(1, lambda value, row: value.upper())
    lines = [line]
    NATIVE.transform_lines(lines, 2, (spec,), {}, None, None, None, None, 1, [0, 0])
    assert lines == [b"1\tX"]
    positional = (1, spec.transform, 0, False, False, None, -1, None, 0)
    with pytest.raises(TypeError, match=r"SlotSpec \(no attribute transform"):
        NATIVE.transform_lines([line], 2, (positional,), {}, None, None, None, None, 1, [0, 0])
    odd = dataclasses.replace(spec, identifying=2)
    with pytest.raises(ValueError, match="must be bools"):
        NATIVE.transform_lines([line], 2, (odd,), {}, None, None, None, None, 1, [0, 0])
