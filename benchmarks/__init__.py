"""Benchmark suite: ``python -m benchmarks [--mode quick|full] [--only NAME]`` (see benchmarks/README.md)."""
