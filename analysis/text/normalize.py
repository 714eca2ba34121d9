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

import functools
import re
import unicodedata

__all__ = ["normalize_text", "NORMALIZE_VERSION", "raw_word"]

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


@functools.cache
def _nfkc_sources() -> dict[str, str]:
    """Compatibility characters by the character NFKC maps them to (Kangxi radicals, CJK compatibility
    ideographs, half/full-width forms: ⾏ U+2F8F and 行 U+FA08 both map to 行)."""
    ranges = ((0x2E80, 0x2FE0), (0x3000, 0x3400), (0xF900, 0xFB00), (0xFE30, 0xFFF0), (0x2F800, 0x2FA20))
    out: dict[str, str] = {}
    for a, b in ranges:
        for c in range(a, b):
            n = unicodedata.normalize("NFKC", chr(c))
            if len(n) == 1 and n != chr(c):
                out[n] = out.get(n, "") + chr(c)
    return out


def nfkc_class(ch: str) -> str:
    """A regex class of ``ch`` and of every compatibility character that NFKC maps to it."""
    return "[" + re.escape(ch) + "".join(re.escape(a) for a in _nfkc_sources().get(ch, "")) + "]"


@functools.cache
def raw_word(word: str) -> re.Pattern:
    """A regex that finds ``word`` in raw text wherever NFKC with whitespace removed (:func:`normalize_text`)
    would show it: whitespace allowed between the characters, and compatibility forms for each. Searching the
    raw text spares the normalization (NFKC of a whole page, the costly part) where the word is absent."""
    return re.compile(r"\s*".join(nfkc_class(c) for c in word))
