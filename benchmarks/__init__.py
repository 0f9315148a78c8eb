"""Benchmark scripts of inrv_jax: each writes a JSON record (command, commit, date, machine,
protocol) under ``docs/<name>/`` and renders its tables from it.

Run one as ``python -m benchmarks.NAME`` from the repository root (``python benchmarks/NAME.py``
works too after ``pip install -e .``, which makes this package importable).
"""
