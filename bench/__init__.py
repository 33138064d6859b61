"""Benchmark harness: dataset generator, baselines, runner and report (see bench/README.md)."""
