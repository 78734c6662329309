"""Datasets for evaluators: pure Python, no Flask, no ORM sessions (design/architecture.md "Exports").

The web layer hands plain iterables of records to these modules:

* :mod:`exports.xlsx`          streaming .xlsx writer (constant memory, text never a formula)
* :mod:`exports.pseudonyms`    keyed (per evaluation) or per-export random pseudonyms
* :mod:`exports.scales`        scale scores (77 missing, prorated sum) and Cronbach's alpha
* :mod:`exports.suppression`   small-cell suppression (threshold 5) with secondary suppression
* :mod:`exports.identifiers`   CPR / e-mail / phone / known-nickname detection in free text
* :mod:`exports.derived`       spec §5.3 derived variables and the Isbryder target-group flag
* :mod:`exports.anonymise`     the allow-list of answer keys that may leave, dates to months
* :mod:`exports.definitions`   the thin adapter to ``forms`` (the only module that knows its API)
"""
