"""How a data value is written into a sentence a person reads.

Values read from a table are often numpy scalars, whose ``repr`` is
``np.int64(1)``; a message must say ``1``.  Every user message that quotes a
value from the data goes through :func:`plain` (or :func:`quoted`), so there
is one place that decides how a value looks.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

__all__ = ["plain", "quoted"]


def plain(value) -> str:
    """``1`` for np.int64(1) and 1.0, ``2024-01-31`` for a date, the text itself for a string."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def quoted(value) -> str:
    """:func:`plain` in single quotes: ``'1'``, ``'yes'``."""
    return f"'{plain(value)}'"
