"""What the load test (``loadtest/``) and the benchmarks (``bench/``) share: the HTTP client's
session and response (:mod:`perf.http`) and the description of the machine (:mod:`perf.machine`).

Both import from here and never from each other (import-linter contract "Measurement tools").
"""
