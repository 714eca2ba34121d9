"""Exact dictionary counting in one pass over the text (Aho-Corasick).

Counting rule (the one a careful reader applies by hand): scan the normalized text from left to
right; at each position take the *longest* dictionary term that starts there, count it, and
continue after its end; if no term starts there, move one character on. Matches are therefore
leftmost-longest and non-overlapping, so a term nested in a longer one (移动互联 in 移动互联网) is
not counted a second time, unlike the naive per-term ``str.count`` used in much published code.
Latin letters are matched case-insensitively (B2B = b2b, Fintech = FINTECH).

Implementation: one Aho-Corasick automaton (Aho & Corasick 1975, "Efficient string matching",
CACM 18(6):333-340; library pyahocorasick, https://pyahocorasick.readthedocs.io) over the
lower-cased terms reports every occurrence of every term in a single pass in C; the few matches
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
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for idx, term in enumerate(self._terms):
            key = term.lower()
            if key in automaton:  # guaranteed not to happen by dictionary validation
                raise ValueError(f"term {term!r} duplicates another term case-insensitively")
            automaton.add_word(key, (len(key), idx))
        automaton.make_automaton()
        self._automaton = automaton

    def spans(self, text: str) -> list[tuple[int, int, str, bool]]:
        """Leftmost-longest non-overlapping matches as ``(start, end, term, negated)``.

        Offsets index ``text.lower()`` (identical to ``text`` unless it holds the rare characters
        whose lower case is longer, such as U+0130). ``negated`` is always False when the counter
        was built with ``exclude_negated=False``.
        """
        low = text.lower()
        found = [(end + 1 - n, -n, idx) for end, (n, idx) in self._automaton.iter(low)]
        if not found:
            return []
        found.sort()
        out: list[tuple[int, int, str, bool]] = []
        cursor = 0
        negators = self.negators if self.exclude_negated else ()
        for start, neg_len, idx in found:
            if start < cursor:
                continue
            end = start - neg_len
            negated = False
            for w in negators:
                if start >= len(w) and low.startswith(w, start - len(w)):
                    negated = True
                    break
            out.append((start, end, self._terms[idx], negated))
            cursor = end
        return out

    def count(self, text: str) -> dict[str, int]:
        """Term -> number of (non-negated) matches in ``text``; only terms found are listed.

        ``text`` must already be normalized (:func:`analysis.text.normalize.normalize_text`).
        """
        counts: dict[str, int] = {}
        for _s, _e, term, negated in self.spans(text):
            if not negated:
                counts[term] = counts.get(term, 0) + 1
        return counts

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
