"""Fixtures the CLI tests share with the packages they drive: the mock providers (tests/providers/conftest.py), for
`devkit providers sync`."""

from tests.providers.conftest import providers, receiver  # noqa: F401 - fixtures, found by pytest
