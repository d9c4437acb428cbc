"""Benchmarks: scripts that measure and print figures (never timing assertions in tests)."""
