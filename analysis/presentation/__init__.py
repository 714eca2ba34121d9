"""Presentation: tables, labels, figures, the numbers and sentences of the paper.

Everything here reads saved results (``paper/results/*.json``, the ledger, the panel) and writes
what a reader sees. Estimation (:mod:`analysis.models`, :mod:`analysis.robustness`,
:mod:`analysis.mechanism`, ...) never imports this package (tests/test_layers.py checks it), so a
change of wording or layout never reruns a model.
"""
