"""Synthetic demo data in the raw formats users receive, generated from a known model.

``generate_demo`` writes CSMAR-style company, balance-sheet, income-statement and segment files,
one annual-report text per firm-year and ``truth.json`` (the true model) into a folder. Serv and
Dig in the true model are exactly what the pipeline measures from the segment rows and the report
texts, and the controls are built by :mod:`analysis.variables` from the very numbers written to the
statements, so the pipeline can recover the truth without measurement error.
"""

from analysis.demo.generate import DemoParams, generate_demo

__all__ = ["DemoParams", "generate_demo"]
