"""Ledger files → canonical rows: read, find headers, normalise, validate."""
