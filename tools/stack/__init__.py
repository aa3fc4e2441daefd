"""The local stack: embedded PostgreSQL and localstripe, on 127.0.0.1 only."""
