"""The tools' own errors: a condition a person can act on, said in one line (the CLI prints it, exits 1)."""

from __future__ import annotations


class AdminError(RuntimeError):
    """A topic administration request failed for good: the cluster refused it, or stayed unreachable (or
    kept a node that does not list the topics) for as long as citygate tries. The message names what failed,
    the cluster and why, on one line."""
