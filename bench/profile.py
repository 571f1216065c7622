"""Where a worker's CPU goes: a cProfile of one citygate worker draining the bench workload (scenario `p`).

The worker runs as deployed (`python -m streams.cli worker`) under `python -m cProfile -o FILE`, which writes
its statistics when the worker exits on SIGTERM. `summarise` groups the functions' own time by the package
they belong to, so the answer reads "citygate's matching N%, aiokafka M%, Faust K%": that is the question a
speed-up starts from. cProfile slows Python code down unevenly, so the shares are a guide, and the
throughput of this run is not comparable with scenario a.
"""

from __future__ import annotations

import pstats
from collections.abc import Sequence
from pathlib import Path

# (bucket, path fragments): the first bucket whose fragment occurs in a function's file name wins.
BUCKETS: Sequence[tuple[str, Sequence[str]]] = (
    ("citygate domain (decode, validate, match, dedup)", ("streams/domain/",)),
    ("citygate adapters (pipeline, codecs, sensor, health)", ("streams/",)),
    ("aiokafka (fetch, records, produce)", ("aiokafka/",)),
    ("faust + mode (command side, timers, web)", ("faust/", "mode/")),
    ("asyncio event loop", ("asyncio/", "selectors.py", "uvloop")),
    ("json (orjson) and builtins", ("~", "orjson")),
)


def bucket_of(filename: str) -> str:
    for name, fragments in BUCKETS:
        if any(fragment in filename for fragment in fragments):
            return name
    return "other"


def summarise(path: Path, top: int = 12) -> dict[str, object]:
    """Own time by bucket (share of the total) and the `top` functions by own time."""
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    total = sum(entry[2] for entry in raw.values()) or 1.0
    by_bucket: dict[str, float] = {}
    functions = []
    for (filename, line, name), (_, calls, own, _, _) in raw.items():
        bucket = bucket_of(filename)
        by_bucket[bucket] = by_bucket.get(bucket, 0.0) + own
        functions.append((own, calls, f"{_short(filename)}:{line}({name})"))
    functions.sort(reverse=True)
    return {
        "total_own_s": round(total, 2),
        "share_by_bucket": {
            k: round(v / total, 3) for k, v in sorted(by_bucket.items(), key=lambda kv: -kv[1])
        },
        "top_functions": [
            {"function": where, "own_s": round(own, 3), "calls": calls, "share": round(own / total, 3)}
            for own, calls, where in functions[:top]
        ],
    }


def render(summary: dict[str, object]) -> str:
    lines = [f"profile of one worker: {summary['total_own_s']} s of own time in Python functions"]
    shares = summary["share_by_bucket"]
    assert isinstance(shares, dict)  # noqa: S101 - built by summarise
    lines += [f"  {share:6.1%}  {bucket}" for bucket, share in shares.items()]
    lines.append("  top functions by own time:")
    top = summary["top_functions"]
    assert isinstance(top, list)  # noqa: S101 - built by summarise
    lines += [f"  {f['share']:6.1%}  {f['calls']:>10,}  {f['function']}" for f in top]
    return "\n".join(lines)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/streams/", "/lib/python3"):
        if marker in filename:
            return (
                filename.split(marker, 1)[1]
                if marker != "/streams/"
                else "streams/" + filename.split(marker, 1)[1]
            )
    return filename
