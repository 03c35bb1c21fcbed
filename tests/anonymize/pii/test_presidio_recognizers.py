"""Recognizers in Presidio's own forms (a recognizer YAML with context words, deny lists and thresholds, a class by
import path) run in the detector's loop and find what Presidio's AnalyzerEngine finds with the same recognizers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import spacy

from anonymize.errors import RulesError, TransformError
from anonymize.pii import Kind, PiiDetector
from anonymize.pii.analyzer import language_of
from anonymize.pii.detector import features_of, resolve
from anonymize.pii.hook import FreeTextDetector
from anonymize.pii.normalize_map import normalize_text
from anonymize.pii.presidio_recognizers import (
    PresidioRecognizers,
    TokenNlpEngine,
    class_recognizer,
    from_rules,
    ner_models,
    yaml_recognizers,
)
from anonymize.pii.recognizers import default_recognizers
from anonymize.pii.spans import Span
from anonymize.rules import PiiRules, parse_rules

HERE = Path(__file__).parent / "presidio_rules"
ENTITIES = {"EMPLOYEE_ID": "bank_account", "MEMBER_NUMBER": "bank_account", "TITLE": "person", "LOYALTY_CARD": "card"}
CUSTOM = "tests.anonymize.pii.presidio_rules.custom:LoyaltyCardRecognizer"

# Japanese and English notes as the platform's columns hold them: context words near, far, after and absent;
# deny-list words alone and inside other words; values the thresholds keep and drop; texts with nothing.
CORPUS = [
    "employee E123456 called about the refund",
    "E123456",
    "staff id: E654321, shift ends 18:00",
    "the employee list was updated; later, unrelated, someone typed E777777 in the memo field here",
    "E1234567 is too long and XE123456 is glued",
    "Dr. Smith and Mrs. Brown paid by card",
    "Mr.Smith",
    "Prof Tanaka (no dot) and Drs. are not titles",
    "loyalty card LC1234567891 presented",
    "LC0000000000 and LC9999999990 and LC12345678",
    "card LC0000000070",
    "社員番号はE123456です",
    "社員のE654321が対応",
    "担当:E111111 会員番号 M-1234-5678",
    "メモ E222222 (理由なし)",
    "会員番号 12345678 で照合",
    "会員番号12345678で照合",  # no word boundary between kanji and digits: Presidio's \\b finds nothing
    "12345678 の会員",
    "伝票 12345678 を再発行",
    "会員 M-0000-0000 と M-1111-2222",
    "山田店長から電話あり",  # a deny-list word must stand alone (Presidio's word boundaries)
    "山田店長 から電話あり",
    "佐藤主任と山田店長が来店",
    "山田店長代理",
    "ＥＭＰ：Ｅ３３３３３３ 社員番号",
    "no personal data here at all",
    "返品なし、在庫確認のみ",
    "",
    "mixed: 社員番号 E444444 and employee E555555",
    "Dr. 佐藤主任",
]


@pytest.fixture(scope="module")
def presidio() -> PresidioRecognizers:
    recognizers = yaml_recognizers(HERE / "recognizers.yaml")
    recognizers.append(class_recognizer(CUSTOM, {"score": 0.9}))
    recognizers.append(class_recognizer(CUSTOM, {"supported_language": "ja"}))
    mapping = {entity: Kind(kind.upper()) for entity, kind in ENTITIES.items()} | {"PERSON": Kind.PERSON}
    return PresidioRecognizers(recognizers, mapping, nlp_engine=TokenNlpEngine(["en", "ja"]))


def _triples(results) -> list[tuple[str, int, int, float]]:  # type: ignore[no-untyped-def]
    return sorted((r.entity_type, r.start, r.end, r.score) for r in results)


def test_same_results_as_analyzer_engine(presidio: PresidioRecognizers) -> None:
    engine = presidio.reference_analyzer()
    found_any = 0
    for raw in CORPUS:
        text = normalize_text(raw).text  # the detector's recognizers see normalized text
        language = language_of(text, presidio.languages)
        ours = _triples(presidio.analyze(text, language))
        theirs = _triples(engine.analyze(text, language))
        assert ours == theirs, raw
        found_any += bool(theirs)
    assert found_any >= 15  # the corpus exercises the recognizers, not only the empty case


def test_context_words_raise_scores_in_both_languages(presidio: PresidioRecognizers) -> None:
    scores = {t: [r.score for r in presidio.analyze(t, language_of(t, presidio.languages))] for t in CORPUS[:4]}
    assert scores["E123456"] == [0.3]
    assert scores["employee E123456 called about the refund"] == [pytest.approx(0.65)]
    assert scores[CORPUS[3]] == [0.3]  # the cue is more than 5 tokens before the value
    assert [r.score for r in presidio.analyze("社員番号はE123456です", "ja")] == [pytest.approx(0.65)]
    # A bare 8-digit number is kept only with its context word (its recognizer's threshold is 0.3).
    assert [r.entity_type for r in presidio.analyze("会員番号 12345678 で照合", "ja")] == ["MEMBER_NUMBER"]
    assert presidio.analyze("伝票 12345678 を再発行", "ja") == []


def test_detector_finds_what_analyzer_engine_finds(presidio: PresidioRecognizers) -> None:
    """In the detector's loop (cache, normalization, offsets on the original text) the spans are AnalyzerEngine's
    results after the detector's own policy (min score, overlap resolution)."""
    detector = PiiDetector(recognizers=[presidio])
    engine = presidio.reference_analyzer()
    for raw in CORPUS:
        mapped = normalize_text(raw)
        language = language_of(mapped.text, presidio.languages)
        expected = [
            Span(presidio.entities[r.entity_type], *mapped.to_original(r.start, r.end), r.score, "")
            for r in engine.analyze(mapped.text, language)
            if r.score >= detector.min_score
        ]
        want = [(s.kind, s.start, s.end, s.score) for s in resolve(expected)]
        got = [(s.kind, s.start, s.end, s.score) for s in detector.detect(raw)]
        assert got == want, raw
        assert [(s.kind, s.start, s.end) for s in detector.detect(raw)] == [k[:3] for k in want]  # from the cache


def test_deny_list_word_in_a_text_with_no_digit_at_sign_or_name_cue(presidio: PresidioRecognizers) -> None:
    detector = PiiDetector(recognizers=[*default_recognizers(), presidio])
    text = "対応: 佐藤主任"
    assert features_of(text) == frozenset()
    assert [(s.kind, s.start, s.end) for s in detector.detect(text)] == [(Kind.PERSON, 4, 8)]
    assert PiiDetector().detect(text) == []  # devkit's own recognizers don't know the title


def test_gate_skips_a_class_recognizer() -> None:
    rules = PiiRules.model_validate(
        {"recognizers": [{"class": CUSTOM, "gate": "LC[0-9]"}], "entities": {"LOYALTY_CARD": "card"}}
    )
    (recognizer,) = from_rules(rules, HERE)
    assert not recognizer.applies("no card number", frozenset())
    assert recognizer.applies("LC0000000000", frozenset({"digit"}))
    assert [s.kind for s in recognizer.find("LC0000000000")] == [Kind.CARD]


RULES = """\
version: 1
pii:
  recognizers:
    - yaml: recognizers.yaml
    - class: tests.anonymize.pii.presidio_rules.custom:LoyaltyCardRecognizer
      params: {score: 0.95}
  entities: {EMPLOYEE_ID: bank_account, MEMBER_NUMBER: bank_account, TITLE: person, LOYALTY_CARD: card}
tables: {}
"""


def test_rules_file_adds_recognizers_to_the_free_text_detector() -> None:
    rules = parse_rules(RULES, str(HERE / "rules.yaml"))
    detector = PiiDetector(recognizers=default_recognizers())
    detector.use_extra(rules.pii_recognizers)
    spans = FreeTextDetector(detector).detect("employee E123456 (TEL 090-1234-5678) card LC0000000000")
    assert [(s.start, s.end, s.kind) for s in spans] == [(9, 16, "bank_account"), (22, 35, "phone"), (42, 54, "card")]
    detector.use_extra([])
    assert [s.kind for s in FreeTextDetector(detector).detect("employee E123456 (TEL 090-1234-5678)")] == ["phone"]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("TITLE: person, ", "entity types TITLE have no devkit kind"),
        ("LOYALTY_CARD: card", "LOYALTY_CARD: coupon"),
        ("yaml: recognizers.yaml", "yaml: missing.yaml"),
        ("custom:LoyaltyCardRecognizer", "custom:NoSuchRecognizer"),
        ("params: {score: 0.95}", "params: {colour: red}"),
        ("    - yaml: recognizers.yaml\n", "    - {yaml: recognizers.yaml, gate: x}\n"),
    ],
)
def test_bad_pii_section_is_one_clear_rules_error(edit: str, problem: str) -> None:
    text = RULES.replace(edit, "") if problem.startswith("entity types") else RULES.replace(edit, problem)
    with pytest.raises(RulesError) as caught:
        parse_rules(text, str(HERE / "rules.yaml"))
    message = caught.value.message
    assert "\n" not in message and re.match(rf"{re.escape(str(HERE / 'rules.yaml'))}:[23]: ", message), message
    if problem.startswith("entity types"):
        assert problem in message


def test_without_an_installed_ner_model() -> None:
    """No spaCy model is installed here (none may be downloaded): `auto` adds nothing, `required` refuses."""
    assert ner_models("auto") == {}
    assert ner_models("off") == {}
    with pytest.raises(RulesError, match="no spaCy NER model is installed"):
        ner_models("required")
    assert from_rules(PiiRules(ner="auto"), HERE) == []


def test_an_installed_ner_model_finds_what_analyzer_engine_finds(tmp_path: Path) -> None:
    """The presence path, with a model made on the spot (a blank English pipeline with an entity ruler, saved
    where the rules file names it): its PERSON entities are persons, its other labels are left unless mapped."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": [{"LOWER": "zorblax"}, {"LOWER": "quenton"}]},
            {"label": "ORG", "pattern": [{"LOWER": "acme"}]},
        ]
    )
    nlp.to_disk(tmp_path / "tiny_en")
    rules = PiiRules.model_validate({"ner": "required", "ner_models": {"en": "tiny_en"}})
    (ner,) = from_rules(rules, tmp_path)
    assert isinstance(ner, PresidioRecognizers)
    engine = ner.reference_analyzer()
    texts = ["please call zorblax quenton at acme", "ZORBLAX QUENTON", "nobody here", "zorblax alone"]
    for text in texts:
        assert _triples(ner.analyze(text, "en")) == _triples(engine.analyze(text, "en")), text
    detector = PiiDetector(recognizers=[*default_recognizers(), ner])
    text = "please call zorblax quenton at acme, 090-1234-5678"
    assert [(s.kind, text[s.start : s.end]) for s in detector.detect(text)] == [
        (Kind.PERSON, "zorblax quenton"),
        (Kind.PHONE, "090-1234-5678"),
    ]
    with pytest.raises(RulesError, match="no spaCy model at"):
        from_rules(PiiRules.model_validate({"ner": "required", "ner_models": {"en": "missing_en"}}), tmp_path)


def test_a_failing_recognizer_is_one_line_without_the_text() -> None:
    (recognizer,) = from_rules(
        PiiRules.model_validate({"recognizers": [{"class": CUSTOM.replace("LoyaltyCard", "Broken")}]}), HERE
    )
    with pytest.raises(TransformError) as caught:
        PiiDetector(recognizers=[recognizer]).detect("secret Taro Yamada")
    assert caught.value.message == "pii recognizer 'BrokenRecognizer' failed: KeyError"


def test_worker_processes_give_the_same_spans(presidio: PresidioRecognizers) -> None:
    """detect_many over (spawned) worker processes ships the Presidio recognizers to them."""
    texts = CORPUS * 3
    alone = PiiDetector(recognizers=[*default_recognizers(), presidio]).detect_many(texts)
    parallel = PiiDetector(recognizers=[*default_recognizers(), presidio]).detect_many(texts, workers=2, parallel_min=1)
    assert parallel == alone and sum(map(len, alone)) >= 30


def test_presidio_entity_names_need_no_mapping(tmp_path: Path) -> None:
    """A recognizer written for Presidio's own entity types (PHONE_NUMBER, EMAIL_ADDRESS ...) loads as it is."""
    (tmp_path / "r.yaml").write_text(
        "recognizers:\n"
        "  - {name: extension, supported_language: en, supported_entity: PHONE_NUMBER,\n"
        "     patterns: [{name: ext, regex: 'ext\\. ?\\d{4}', score: 0.7}]}\n",
        encoding="utf-8",
    )
    (recognizer,) = from_rules(PiiRules.model_validate({"recognizers": [{"yaml": "r.yaml"}]}), tmp_path)
    assert recognizer.kinds == frozenset({Kind.PHONE})
    assert [(s.kind, s.start, s.end) for s in recognizer.find("call ext. 1234")] == [(Kind.PHONE, 5, 14)]


def test_the_presidio_engine_runs_them_too(presidio: PresidioRecognizers) -> None:
    """`PiiDetector(engine="presidio")` (our recognizers inside AnalyzerEngine) gives the same spans with them."""
    direct = PiiDetector(recognizers=[*default_recognizers(), presidio])
    through = PiiDetector(recognizers=[*default_recognizers(), presidio], engine="presidio")
    for text in CORPUS:
        assert through.detect(text) == direct.detect(text), text


def test_a_recognizer_for_another_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "recognizers:\n  - {name: PLZ, supported_language: de, supported_entity: POSTAL_CODE, deny_list: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match="recognizers PLZ are for a language devkit doesn't analyze"):
        from_rules(PiiRules.model_validate({"recognizers": [{"yaml": "r.yaml"}]}), tmp_path)
