"""Recognizers by family: phone, postal code, address, registry/card/bank numbers, email/IP, person names."""

from __future__ import annotations

from anonymize.pii.recognizers.address import AddressRecognizer
from anonymize.pii.recognizers.base import Recognizer
from anonymize.pii.recognizers.network import EmailRecognizer, IpRecognizer
from anonymize.pii.recognizers.numbers import (
    BankRecognizer,
    CardRecognizer,
    CorporateNumberRecognizer,
    MyNumberRecognizer,
)
from anonymize.pii.recognizers.person import PersonRecognizer
from anonymize.pii.recognizers.phone import PhoneRecognizer
from anonymize.pii.recognizers.postal import PostalCodeRecognizer

__all__ = ["Recognizer", "default_recognizers"]


def default_recognizers() -> list[Recognizer]:
    """Every recognizer, in the order their spans win ties (more specific first)."""
    return [
        EmailRecognizer(),
        IpRecognizer(),
        CorporateNumberRecognizer(),
        MyNumberRecognizer(),
        CardRecognizer(),
        BankRecognizer(),
        PostalCodeRecognizer(),
        PhoneRecognizer(),
        AddressRecognizer(),
        PersonRecognizer(),
    ]
