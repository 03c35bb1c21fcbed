"""`rules init`'s hook for JSON columns: the platform's own ids inside a payload, drafted as `keep` paths.

Where scan found personal data inside a JSON column, the draft rules it `json` with every other string run through
the PII detector. The payload's identifiers (`id`, `*_id`, `*Id`, transaction/reference keys, as
anonymize.context.key_context reads keys) are no personal data, but a provider's 19-digit transaction id can look
like a card: each sampled id path is drafted `keep`, so it is neither searched nor replaced, and the reviewer sees
the decision in the file. Only paths where no sampled value held personal data are kept (an e-mail used as a login
id under `user_id` stays searched).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anonymize.context import key_context
from anonymize.transformers.json_paths import parse_path


def id_keep_paths(leaf_paths: Mapping[str, bool]) -> dict[str, str]:
    """Rule path -> "keep" for the sampled leaves (rule path -> held personal data?) under an id key."""
    keep = {}
    for path, personal in sorted(leaf_paths.items()):
        if personal:
            continue
        try:
            steps = parse_path(path)
        except ValueError:
            continue
        if key_context(step.key for step in steps if isinstance(step.key, str)) == "id":
            keep[path] = "keep"
    return keep


def with_id_keep_paths(transform: str, params: Mapping[str, Any], leaf_paths: Mapping[str, bool]) -> dict[str, Any]:
    """A drafted rule's params, with the id paths of a `json` rule added as keep (paths it already rules win)."""
    out = dict(params)
    if transform == "json" and leaf_paths:
        keep = id_keep_paths(leaf_paths)
        if keep:
            out["paths"] = {**keep, **dict(params.get("paths") or {})}
    return out
