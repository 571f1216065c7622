"""The sensor side: `anpr.hits` consumed in batches (consumer), outputs confirmed before a commit (delivery),
offsets and lag (ledger), one hit matched against the watchlist (matcher)."""
