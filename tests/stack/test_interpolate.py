import pytest

from devkit.stack.interpolate import InterpolationError, interpolate, read_dotenv

VARIABLES = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET}", "value"),
        ("$SET/x", "value/x"),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${UNSET-fallback}", "fallback"),
        ("${SET:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("$${SET}", "${SET}"),
        ("a $$ b", "a $ b"),
        ("${UNSET}", ""),
    ],
)
def test_compose_interpolation(text: str, expected: str) -> None:
    assert interpolate(text, VARIABLES) == expected


def test_required_variable_names_itself() -> None:
    with pytest.raises(InterpolationError, match=r"REQUIRED.*set it"):
        interpolate("${REQUIRED:?set it}", VARIABLES)


def test_invalid_dollar_is_an_error() -> None:
    with pytest.raises(InterpolationError, match=r"\$\$"):
        interpolate("price $5", VARIABLES)


def test_dotenv(tmp_path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nA=1\nexport B='two words'\nC=\"q\"\n\nbroken line\n")
    assert read_dotenv(env) == {"A": "1", "B": "two words", "C": "q"}
