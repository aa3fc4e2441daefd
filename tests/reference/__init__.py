"""A reference for the marts: MRR computed straight from the synthetic
generator's ground truth (`_truth/subscriptions.jsonl`), independent of the
SQL and of the generator's code."""
