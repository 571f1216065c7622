"""The watchlist on a worker: the full in-memory replica, the checker that audits every change once, and
the retro-match scan of recent hits for new entries."""
