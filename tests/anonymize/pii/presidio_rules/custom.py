"""A team's own EntityRecognizer subclass, loaded by import path (`class:` in a rules file's `pii.recognizers`)."""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class LoyaltyCardRecognizer(EntityRecognizer):
    """Loyalty card numbers "LC" + 10 digits; a mod-7 check digit keeps the strong score, else a weak one."""

    def __init__(self, score: float = 0.9, supported_language: str = "en") -> None:
        super().__init__(supported_entities=["LOYALTY_CARD"], supported_language=supported_language, context=["card"])
        self.score = score

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        assert nlp_artifacts is not None  # a class recognizer gets the NLP artifacts, as in AnalyzerEngine
        results = []
        for match in re.finditer(r"LC(\d{9})(\d)", text):
            valid = int(match.group(1)) % 7 == int(match.group(2))
            score = self.score if valid else 0.2
            # Presidio's context enhancer records its reason in the explanation: a recognizer must give one.
            explanation = AnalysisExplanation(type(self).__name__, score, textual_explanation="mod-7 check digit")
            results.append(RecognizerResult("LOYALTY_CARD", match.start(), match.end(), score, explanation))
        return results


class BrokenRecognizer(EntityRecognizer):
    """Fails on every text: a bug in a team's recognizer."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language="en")

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        raise KeyError(text)
