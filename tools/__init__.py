"""Project tooling: the local stack, populate, reconciliation, synthetic data."""
