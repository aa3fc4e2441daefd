"""Independent reference calculations: the metric rules of docs/metrics.md
computed in plain Python from a snapshot directory or the synthetic
generator's ground truth, to check the models against. Nothing here reads
the SQL or the warehouse."""
