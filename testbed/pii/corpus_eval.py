"""Score a detector against the committed corpus: exact-span recall on planted values, look-alikes flagged, and
spans that match nothing planted. Shared by the corpus test and the benchmark."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from anonymize.pii import PiiDetector, Span
from anonymize.pii.json_leaves import LeafPath, format_path, iter_string_leaves

CORPUS = Path(__file__).parent / "corpus"


def load(name: str) -> list[dict]:
    with (CORPUS / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@dataclass
class Score:
    planted: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    lookalikes_flagged: list[str] = field(default_factory=list)
    unplanted: list[str] = field(default_factory=list)  # spans that overlap no planted value
    n_lookalikes: int = 0

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / sum(self.planted.values())


def units(item: dict) -> Iterator[tuple[str, LeafPath | None, str, list[dict], list[dict]]]:
    """(label, JSON path or None, text, planted, lookalikes) per detection unit: the text, or each string leaf of
    a JSON payload."""
    if not item.get("json"):
        yield item["id"], None, item["text"], item.get("planted", []), item.get("lookalikes", [])
        return
    for path, leaf in iter_string_leaves(json.loads(item["text"])):
        where = format_path(path)
        planted = [p for p in item["planted"] if p["path"] == where]
        lookalikes = [la for la in item["lookalikes"] if la["path"] == where]
        yield f"{item['id']}{where}", path, leaf, planted, lookalikes


def score(detector: PiiDetector, items: list[dict]) -> Score:
    result = Score()
    for item in items:
        for label, path, text, planted, lookalikes in units(item):
            spans = detector.detect(text) if path is None else detector.detect_leaf(path, text)
            _score_unit(result, label, text, spans, planted, lookalikes)
    return result


def _score_unit(
    result: Score, label: str, text: str, spans: list[Span], planted: list[dict], lookalikes: list[dict]
) -> None:
    exact = {(s.kind.value, s.start, s.end) for s in spans}
    for p in planted:
        result.planted[p["kind"]] += 1
        if (p["kind"], p["start"], p["end"]) in exact:
            result.found[p["kind"]] += 1
        else:
            got = [(s.kind.value, text[s.start : s.end]) for s in spans]
            result.missed.append(f"{label}: {p['kind']} {text[p['start'] : p['end']]!r} in {text!r}; got {got}")
    for la in lookalikes:
        result.n_lookalikes += 1
        hits = [s for s in spans if s.start < la["end"] and la["start"] < s.end]
        if hits:
            result.lookalikes_flagged.append(
                f"{label}: {la['what']} {text[la['start'] : la['end']]!r} flagged as {hits[0].kind.value} in {text!r}"
            )
    for s in spans:
        if not any(s.start < p["end"] and p["start"] < s.end for p in planted):
            result.unplanted.append(f"{label}: {s.kind.value} {text[s.start : s.end]!r} in {text!r}")
