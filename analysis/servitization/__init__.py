"""Servitization (Serv) from revenue breakdowns: segment rows -> audited labels -> firm-year measures.

Pipeline: canonical segment frame (vendor file, or :mod:`.report_table` for firm-years without vendor
rows; :func:`.segments.fill_missing_from_reports`) -> :func:`.classifier.label_segments` (dictionary
``analysis/data/service_rules.yaml`` + override CSV; write the result as segment_labels.csv) ->
:func:`.measures.servitization_measures` (servitization.parquet).
"""

from .classifier import (LABELS, OverridesError, RulesError, ServiceRules, label_segments, load_overrides,
                         load_rules, normalize_name)
from .measures import MEASURE_COLUMNS, servitization_measures
from .report_table import Extraction, extract_breakdown, extract_breakdown_pages
from .segments import SEGMENT_COLUMNS, coerce_segments, empty_segments, fill_missing_from_reports

__all__ = [
    "Extraction", "extract_breakdown", "extract_breakdown_pages",
    "LABELS", "MEASURE_COLUMNS", "SEGMENT_COLUMNS", "OverridesError", "RulesError", "ServiceRules",
    "coerce_segments", "empty_segments", "fill_missing_from_reports", "label_segments", "load_overrides",
    "load_rules", "normalize_name", "servitization_measures",
]
