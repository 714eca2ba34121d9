"""Digitalization from annual reports: ingestion, normalization, sections and exact keyword counts.

Modules: :mod:`.dictionary` (versioned keyword lists, Wu Fei et al. 2021), :mod:`.normalize`,
:mod:`.counting` (one-pass leftmost-longest Aho-Corasick counter), :mod:`.measures` (indices),
:mod:`.pdf` (PDF/TXT/HTML to normalized text, with status), :mod:`.sections` (MD&A boundaries),
:mod:`.reports` (file identification, status, cache, shards, batch processing),
:mod:`.status` (status values).
"""

from .counting import KeywordCounter, category_totals
from .dictionary import KeywordDictionary, combine, load_dictionaries, load_dictionary
from .measures import digital_indices, normalize_firm
from .normalize import normalize_text
from .pdf import Extraction, extract_file, extract_pdf
from .reports import (
    identify_report,
    process_reports,
    process_shard,
    scan_reports,
    select_shard,
    shard_of,
)
from .sections import find_mdna

__all__ = [
    "Extraction",
    "KeywordCounter",
    "KeywordDictionary",
    "category_totals",
    "combine",
    "digital_indices",
    "extract_file",
    "extract_pdf",
    "find_mdna",
    "identify_report",
    "load_dictionaries",
    "load_dictionary",
    "normalize_firm",
    "normalize_text",
    "process_reports",
    "process_shard",
    "scan_reports",
    "select_shard",
    "shard_of",
]
