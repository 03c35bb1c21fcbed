"""Emails (public-suffix list pinned offline) and IP addresses."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from anonymize.pii import Kind, PiiDetector

DETECTOR = PiiDetector()


def found(text: str, kind: Kind) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.value) for s in DETECTOR.detect(text) if s.kind is kind]


@pytest.mark.parametrize(
    ("text", "email", "value"),
    [
        ("連絡先 taro.yamada@gmail.com まで", "taro.yamada@gmail.com", "taro.yamada@gmail.com"),
        ("メール:Hanako_Sato+shop@Yahoo.co.jp", "Hanako_Sato+shop@Yahoo.co.jp", "hanako_sato+shop@yahoo.co.jp"),
        ("ｔａｒｏ＠ｄｏｃｏｍｏ．ｎｅ．ｊｐ", "ｔａｒｏ＠ｄｏｃｏｍｏ．ｎｅ．ｊｐ", "taro@docomo.ne.jp"),
        ("<k-1@mail.hokkaido-foods.co.jp>.", "k-1@mail.hokkaido-foods.co.jp", "k-1@mail.hokkaido-foods.co.jp"),
    ],
)
def test_emails(text: str, email: str, value: str) -> None:
    assert found(text, Kind.EMAIL) == [(email, value)]


@pytest.mark.parametrize("text", ["icon@2x.png", "user@localhost", "a@b.notatld", "@channel 通知", "x@y"])
def test_not_emails(text: str) -> None:
    assert found(text, Kind.EMAIL) == []


@pytest.mark.parametrize(
    ("text", "ip", "value"),
    [
        ("client 192.168.10.23 login", "192.168.10.23", "192.168.10.23"),
        ("from 203.0.113.45.", "203.0.113.45", "203.0.113.45"),
        ("ip=2001:db8::1", "2001:db8::1", "2001:db8::1"),
        (
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8:85a3::8a2e:370:7334",
        ),
        ("link fe80::1c2d:3e4f", "fe80::1c2d:3e4f", "fe80::1c2d:3e4f"),
    ],
)
def test_ip_addresses(text: str, ip: str, value: str) -> None:
    assert found(text, Kind.IP) == [(ip, value)]


@pytest.mark.parametrize(
    "text",
    ["firmware v1.2.3.4", "バージョン 10.0.1.2", "12:00:00", "MAC 00:1A:2B:3C:4D:5E", "127.0.0.1", "0.0.0.0", "::1",
     "1.2.3", "256.1.1.1", "3.14"],
)  # fmt: skip
def test_not_ip_addresses(text: str) -> None:
    assert found(text, Kind.IP) == []


def test_public_suffix_lookup_makes_no_network_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both our email recognizer and Presidio's stock one, once pinned, answer without touching the network."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    from anonymize.pii.analyzer import pin_public_suffix_list
    from anonymize.pii.recognizers.network import domain_ok

    domain_ok.cache_clear()
    assert PiiDetector().detect("mail: someone@new-domain-for-this-test.co.jp")
    pin_public_suffix_list()
    results = EmailRecognizer().analyze("mail someone@example.co.jp", ["EMAIL_ADDRESS"])
    assert [r.entity_type for r in results] == ["EMAIL_ADDRESS"]
    assert attempts == []


def test_email_detection_in_a_fresh_process_makes_no_network_attempt() -> None:
    """Cold caches (a fresh process) must not send the first email's domain check to the network."""
    code = (
        "import socket\n"
        "attempts = []\n"
        "def refuse(*args, **kwargs):\n"
        "    attempts.append(args)\n"
        "    raise OSError('network disabled in this test')\n"
        "socket.getaddrinfo = refuse\n"
        "socket.socket.connect = refuse\n"
        "from anonymize.pii import PiiDetector\n"
        "spans = PiiDetector().detect('taro@example.co.jp')\n"
        "print(len(spans), len(attempts))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["1", "0"]
