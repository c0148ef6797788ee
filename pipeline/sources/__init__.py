"""Source adapters: bytes in, polars frames of records (and quarantine rows) out."""
