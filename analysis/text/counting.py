"""Exact dictionary counting in one pass over the text (Aho-Corasick).

Counting rule (the one a careful reader applies by hand): scan the normalized text from left to
right; at each position take the *longest* dictionary term that starts there, count it, and
continue after its end; if no term starts there, move one character on. Matches are therefore
leftmost-longest and non-overlapping, so a term nested in a longer one (移动互联 in 移动互联网) is
not counted a second time, unlike the naive per-term ``str.count`` used in much published code.
Latin letters are matched case-insensitively (B2B = b2b, Fintech = FINTECH).

Implementation: one Aho-Corasick automaton (Aho & Corasick 1975, "Efficient string matching",
CACM 18(6):333-340; library pyahocorasick, https://pyahocorasick.readthedocs.io) over the terms
(Latin terms in all their upper/lower spellings, so that the text need not be lower-cased)
reports every occurrence of every term in a single pass in C; the few matches
found (hundreds per report) are then resolved to the leftmost-longest non-overlapping set in
Python. pyahocorasick's own ``iter_long`` is *not* used: in version 2.3.1 it misses matches after a
failed attempt at a longer term (e.g. terms {"abcd", "bc"} in "abce" give no match instead of
"bc"), which the property tests of this module would catch.

Optional exclusion of negated mentions (a robustness option in this literature): a selected match
immediately preceded by a negator (default 没有 / 无 / 未) is not counted; it still consumes its
characters, so a negated long term does not turn into a count of a shorter term nested in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ahocorasick

from .dictionary import KeywordDictionary

__all__ = ["DEFAULT_NEGATORS", "KeywordCounter", "category_totals"]

#: Terms with more cased ASCII letters than this are matched by lower-casing the text instead of
#: adding every upper/lower spelling to the automaton (2^n keys).
MAX_CASED_LETTERS = 12

#: Negation words checked immediately before a match when ``exclude_negated=True``.
DEFAULT_NEGATORS: tuple[str, ...] = ("没有", "无", "未")


class KeywordCounter:
    """Counter built once per dictionary; call :meth:`count` on each normalized text.

    Parameters
    ----------
    dictionary:
        A :class:`~analysis.text.dictionary.KeywordDictionary`.
    exclude_negated:
        Drop matches immediately preceded by one of ``negators``.
    negators:
        Negation words (already normalized). Only used with ``exclude_negated=True``.
    """

    def __init__(
        self,
        dictionary: KeywordDictionary,
        exclude_negated: bool = False,
        negators: Iterable[str] = DEFAULT_NEGATORS,
    ) -> None:
        self.dictionary = dictionary
        self.exclude_negated = bool(exclude_negated)
        self.negators = tuple(n.lower() for n in negators if n)
        self._terms = tuple(dictionary.terms)
        # Case-insensitivity for Latin letters without lower-casing every text: each term whose
        # cased characters are all ASCII is added in every upper/lower spelling (Fintech: 2^7 = 128
        # keys; the Wu Fei list needs 200 extra keys in all). Terms with other cased letters fall
        # back to lower-casing the text (and the keys).
        variants: list[list[str]] = []
        self._lower_text = False
        for term in self._terms:
            cased = [i for i, ch in enumerate(term) if ch.lower() != ch.upper()]
            if any(not term[i].isascii() for i in cased) or len(cased) > MAX_CASED_LETTERS:
                self._lower_text = True
                break
            variants.append(_case_variants(term, cased))
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        seen: dict[str, str] = {}
        for idx, term in enumerate(self._terms):
            keys = [term.lower()] if self._lower_text else variants[idx]
            for key in keys:
                if key in seen:  # guaranteed not to happen by dictionary validation
                    raise ValueError(f"terms {term!r} and {seen[key]!r} coincide case-insensitively")
                seen[key] = term
                automaton.add_word(key, (len(key), idx))
        automaton.make_automaton()
        self._automaton = automaton

    def _resolved(self, text: str) -> list[tuple[int, int, int]]:
        """(start, -length, term index) of all matches, sorted by start then longest first."""
        if self._lower_text:
            text = text.lower()
        found = [(end + 1 - n, -n, idx) for end, (n, idx) in self._automaton.iter(text)]
        found.sort()
        return found

    def _negated(self, text: str, start: int) -> bool:
        for w in self.negators:
            if start >= len(w) and text.startswith(w, start - len(w)):
                return True
        return False

    def spans(self, text: str) -> list[tuple[int, int, str, bool]]:
        """Leftmost-longest non-overlapping matches as ``(start, end, term, negated)``.

        Offsets index ``text`` (or ``text.lower()`` for dictionaries with non-ASCII cased letters,
        which differs only for the rare characters whose lower case is longer, such as U+0130).
        ``negated`` is always False when the counter was built with ``exclude_negated=False``.
        """
        low = text.lower() if self._lower_text else text
        out: list[tuple[int, int, str, bool]] = []
        cursor = 0
        for start, neg_len, idx in self._resolved(text):
            if start < cursor:
                continue
            cursor = start - neg_len
            negated = self.exclude_negated and self._negated(low, start)
            out.append((start, cursor, self._terms[idx], negated))
        return out

    def count(self, text: str) -> dict[str, int]:
        """Term -> number of (non-negated) matches in ``text``; only terms found are listed.

        ``text`` must already be normalized (:func:`analysis.text.normalize.normalize_text`).
        """
        if self.exclude_negated:
            counts: dict[str, int] = {}
            for _s, _e, term, negated in self.spans(text):
                if not negated:
                    counts[term] = counts.get(term, 0) + 1
            return counts
        tally = [0] * len(self._terms)
        cursor = 0
        for start, neg_len, idx in self._resolved(text):
            if start >= cursor:
                cursor = start - neg_len
                tally[idx] += 1
        return {self._terms[i]: n for i, n in enumerate(tally) if n}

    def count_negated(self, text: str) -> dict[str, int]:
        """Term -> number of matches that are negated (diagnostics for the robustness option)."""
        counts: dict[str, int] = {}
        for _s, _e, term, negated in self.spans(text):
            if negated:
                counts[term] = counts.get(term, 0) + 1
        return counts

    def category_totals(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Category key -> total count, every category present (zeros included)."""
        return category_totals(counts, self.dictionary)


def _case_variants(term: str, cased: list[int]) -> list[str]:
    """Every upper/lower spelling of ``term`` at the positions ``cased`` (lower-case first)."""
    out = []
    chars = list(term.lower())
    for mask in range(1 << len(cased)):
        for bit, pos in enumerate(cased):
            chars[pos] = term[pos].upper() if mask >> bit & 1 else term[pos].lower()
        out.append("".join(chars))
    return out


def category_totals(counts: Mapping[str, int], dictionary: KeywordDictionary) -> dict[str, int]:
    """Sum term counts by category; all of the dictionary's categories appear, in its order.

    Raises ``KeyError`` for a term that is not in the dictionary.
    """
    totals = {c: 0 for c in dictionary.categories}
    for term, n in counts.items():
        try:
            cat = dictionary.category_of[term]
        except KeyError:
            raise KeyError(f"term {term!r} is not in dictionary {dictionary.name!r}") from None
        totals[cat] += int(n)
    return totals
