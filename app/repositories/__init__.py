"""The only place SQL is written. Functions are async and keyword-only."""
