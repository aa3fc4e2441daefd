"""The chaos run: the extraction through faults, kills and a database
restart, then every object counted (`make chaos`, docs/operations.md)."""
