"""Keys of the small JSON descriptions stored beside an object.

A sidecar describes a content-addressed object (today: the environment a model
artifact was written in) and is found from the object's key alone, so it needs
no database column: ``models/ab/<sha>.joblib`` has its environment at
``models/ab/<sha>.joblib.environment.json``.  Its key therefore carries the digest
of the object it describes, not of its own bytes; :func:`is_sidecar` lets the
store migration check such an object against its own bytes (or the digest the
backend recorded for it) instead of the stem of its key.
"""

from __future__ import annotations

import re

from .digest import check_key

__all__ = ["is_sidecar", "sidecar_key"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def sidecar_key(key: str, name: str) -> str:
    """The key of the ``name`` sidecar of the object stored under ``key``."""
    if not _NAME.match(name):
        raise ValueError(f"A sidecar name is lower-case letters, digits and underscores, not {name!r}.")
    return f"{check_key(key)}.{name}.json"


def is_sidecar(key: str) -> bool:
    """True for a sidecar key: a file name with more than one extension that ends in ``.json``
    (objects the product writes have exactly one: ``.joblib``, ``.parquet``, ``.json``)."""
    filename = key.rsplit("/", 1)[-1]
    return filename.endswith(".json") and filename.count(".") >= 2
