"""Digitalization from annual reports: ingestion, normalization, sections and exact keyword counts.

Modules: :mod:`.dictionary` (versioned keyword lists, Wu Fei et al. 2021), :mod:`.normalize`,
:mod:`.counting` (one-pass leftmost-longest Aho-Corasick counter), :mod:`.measures` (indices),
:mod:`.pdf` (PDF to normalized text), :mod:`.sections` (MD&A boundaries), :mod:`.reports`
(file identification, status, cache, shards, batch processing).
"""

from .counting import KeywordCounter, category_totals
from .dictionary import KeywordDictionary, combine, load_dictionary
from .measures import digital_indices, normalize_firm
from .normalize import normalize_text

__all__ = [
    "KeywordCounter",
    "KeywordDictionary",
    "category_totals",
    "combine",
    "digital_indices",
    "load_dictionary",
    "normalize_firm",
    "normalize_text",
]
