"""Benchmarks for `make bench`: each module prints its figures beside a naive baseline."""
