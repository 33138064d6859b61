"""Benchmark harness of issue 6: dataset generator, runner, baselines (see bench/README.md)."""
