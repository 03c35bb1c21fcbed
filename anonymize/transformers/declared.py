"""What the registered transformers declare, as the maps the rest of the engine reads: which transform a column of
a PII kind gets (anonymize.scan, the draft), which transform replaces each kind of span in free text and how the PII
detector's kinds are named there (free_text, anonymize.pii.hook), which columns the run remembers for free text
(anonymize.pii.prepass) and which transforms the draft keys on the row's id. Nothing here names a transformer:
a new one declares its `pii_kind`, `text_kinds`, `remembered` or Keyed base in its own module and every map follows.

Derived on each call from the registry as it is (a few dozen classes): a transformer registered later, as a test's
is, is seen at once.
"""

from __future__ import annotations

from typing import Any

from anonymize.transformers.base import Keyed, Transformer, _registry


def _transformers() -> list[type[Transformer]]:
    return list(_registry().values())


def column_transforms() -> dict[str, str]:
    """PII kind (anonymize.pii.spans.Kind value) -> the transform of a column wholly of that kind."""
    return {cls.pii_kind: cls.name for cls in _transformers() if cls.pii_kind is not None}


def text_kind_transforms() -> dict[str, tuple[str, dict[str, Any]]]:
    """free_text's kinds of span -> (transformer name, its params): what replaces each."""
    return {kind.name: (cls.name, dict(kind.params)) for cls in _transformers() for kind in cls.text_kinds}


def text_kind_names() -> dict[str, str]:
    """The PII detector's kinds (Kind values) -> free_text's kind its spans are replaced as."""
    return {entity: kind.name for cls in _transformers() for kind in cls.text_kinds for entity in kind.entities}


def keyed_transforms() -> frozenset[str]:
    """Transforms that take `key_column` and give distinct row ids distinct fakes: the draft keys a unique column on
    `id` with these."""
    return frozenset(cls.name for cls in _transformers() if issubclass(cls, Keyed))
