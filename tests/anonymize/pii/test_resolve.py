"""The detector's overlap resolution: its two-span shortcut gives what the general loop gives (resolve_reference)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.pii.detector import resolve, resolve_reference
from anonymize.pii.spans import Kind, Span

_span = st.builds(
    lambda kind, start, length, score, known: Span(kind, start, start + length, score, "v", None, "r", known),
    st.sampled_from([Kind.PERSON, Kind.PHONE]),
    st.integers(0, 6),
    st.integers(0, 4),
    st.sampled_from([0.5, 0.7, 1.0]),
    st.booleans(),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_span, max_size=4))
def test_resolve_is_the_general_loop(spans: list[Span]) -> None:
    assert resolve(spans) == resolve_reference(spans)


def test_two_spans_of_one_extent_mark_the_winner_known() -> None:
    found = Span(Kind.PERSON, 3, 8, 0.7, "ann", None, "person")
    known = Span(Kind.PERSON, 3, 8, 1.0, "ann", None, "known", True)
    # the known value scores higher: it wins outright
    assert resolve([found, known]) == resolve_reference([found, known]) == [known]
    tied = Span(Kind.PERSON, 3, 8, 0.7, "ann", None, "known", True)
    # a tie on length and score: the known one ranks first (precedence), in either order given
    assert resolve([found, tied]) == resolve([tied, found]) == [tied]
    apart = Span(Kind.PHONE, 9, 12, 0.5, "1", None, "phone")
    assert resolve([apart, found]) == [found, apart]
