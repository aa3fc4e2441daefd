"""Benchmarks of the pipeline on a synthetic company (`make bench`)."""
