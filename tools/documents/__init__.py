"""The document collections' commands: full-text search over customer
feedback (`make search`) and the ML features as Parquet (`make features`)."""
