"""Load benchmarks for Tessera: ``make bench`` (or ``python -m bench``) writes docs/benchmarks.md.

Each run sets up a throwaway database with the CLI, starts a real ``tessera serve`` and measures
it with wrk. Every figure is also given relative to ``GET /healthz`` measured on the same server
in the same run, so numbers from different machines (or a busy machine) can be compared.
"""
