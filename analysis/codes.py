"""Stock codes: one definition of a firm identifier for the whole package.

A-share firms are identified by their 6-digit stock code kept as a zero-padded string ("000651"),
never an int (METHODS.md, section 1). Vendors and hand-made files deliver codes that lost their
leading zeros (651, "651", 651.0, "651.0") or carry an exchange tag ("000651.SZ", "SH600201"); all
of these normalize to the same 6-character string. Anything else is an error, never a guess.
"""

from __future__ import annotations

import re

import numpy as np

_FIRM_RE = re.compile(r"^(?:S[HZ]|BJ)?(\d{1,6})(?:\.0+)?(?:\.(?:S[HZ]|BJ|SS))?$", re.IGNORECASE)


def normalize_firm(value: object) -> str:
    """Stock code as a zero-padded 6-character string: 651 / "651" / "651.0" / "000651.SZ" -> "000651".

    Raises ValueError for anything that is not a code of at most 6 digits.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not 0 <= int(value) <= 999_999:
            raise ValueError(f"stock code {value!r} is not a 6-digit code")
        return f"{int(value):06d}"
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise ValueError(f"stock code {value!r} is not a 6-digit code")
        return normalize_firm(int(value))
    m = _FIRM_RE.match(str(value).strip())
    if not m:
        raise ValueError(f"stock code {value!r} is not a 6-digit code")
    return m.group(1).zfill(6)


def try_normalize_firm(value: object) -> str | None:
    """:func:`normalize_firm`, or None when ``value`` is not a stock code (blank, text, too long)."""
    try:
        return normalize_firm(value)
    except ValueError:
        return None
