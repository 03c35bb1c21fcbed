"""Transformers, one module per family, registered by name. Importing this package registers them all."""

from anonymize.transformers import (  # noqa: F401 - imported to register
    address,
    basic,
    card,
    company,
    dates,
    email,
    free_text,
    geo,
    identifiers,
    ip,
    json_paths,
    numeric,
    person_name,
    phone,
    token,
    username,
)
from anonymize.transformers.base import (
    REGISTRY,
    ColumnInfo,
    Transformer,
    TypeFamily,
    register,
    type_family,
)
from anonymize.transformers.factory import build_transformer

__all__ = ["REGISTRY", "ColumnInfo", "Transformer", "TypeFamily", "build_transformer", "register", "type_family"]
