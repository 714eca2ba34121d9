"""Text normalization applied before keyword counting.

The digitalization literature counts dictionary terms in the text of annual reports (Wu, Hu, Lin &
Ren 2021, 管理世界 37(7):130-144). Text extracted from PDFs carries artefacts that break exact
matching: full-width Latin letters and digits (``Ｂ２Ｂ``), ideographic spaces (U+3000), and line
breaks inside multi-character terms (``人工\\n智能``). :func:`normalize_text` removes them:

1. Unicode NFKC normalization (Unicode Standard Annex #15), which maps the full-width forms
   U+FF01-U+FF5E to their ASCII counterparts and the ideographic space to a plain space;
2. removal of *all* whitespace (``str.split`` semantics: every Unicode white-space character,
   including U+3000 and U+00A0) and of invisible format characters (zero-width space/joiners, word
   joiner, BOM, soft hyphen), so that a term broken by a line end is joined again.

Removing whitespace never breaks a Latin term (``B2B``, ``Fintech``): such a term contains no space,
and a term split across lines (``Fin\\ntech``) is rejoined. The price is that Latin words are glued
together (``use B2B now`` -> ``useB2Bnow``); counting therefore matches Latin terms as substrings,
as the published dictionary-count code does. Case is *not* folded here (the counter folds case),
so that the normalized text stays readable in the cache.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_text", "NORMALIZE_VERSION"]

#: Bump when the normalization changes: cached texts keyed by it are then recomputed.
NORMALIZE_VERSION = "1"

# Invisible format characters that NFKC keeps and str.split() does not treat as whitespace.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")


def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalized with every whitespace and invisible character removed.

    >>> normalize_text("发展\\n人工 智能、Ｂ２Ｂ\\u3000平台")
    '发展人工智能、B2B平台'
    """
    if not text:
        return ""
    # Removing characters can bring a combining mark next to a new base character (and NFKC can
    # itself produce spaces, e.g. U+00A8 -> " \u0308"), so repeat until stable; on real text the
    # loop body runs once (``is_normalized`` is a fast quick-check).
    for _ in range(4):
        text = unicodedata.normalize("NFKC", text)
        text = "".join(text.split())
        if _INVISIBLE.search(text):
            text = _INVISIBLE.sub("", text)
        if unicodedata.is_normalized("NFKC", text):
            break
    return text
