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
_CITYGATE = str(Path(__file__).resolve().parents[1] / "streams") + "/"  # not faust/streams/, quixstreams/
BUCKETS: Sequence[tuple[str, Sequence[str]]] = (
    ("citygate domain (decode, validate, match, dedup)", (_CITYGATE + "domain/",)),
    ("citygate adapters (pipeline, codecs, sensor, health)", (_CITYGATE,)),
    ("aiokafka (fetch, records, produce)", ("aiokafka/",)),
    ("faust + mode (command side, timers, web)", ("faust/", "mode/")),
    ("asyncio event loop", ("asyncio/", "selectors.py", "uvloop")),
    ("json (orjson) and builtins", ("~", "orjson")),
)


IDLE = "idle: waiting for the network (epoll)"


def bucket_of(filename: str, function: str = "") -> str:
    if filename == "~" and "epoll" in function:
        return IDLE  # the event loop asleep until a socket is ready: not work, so reported apart
    for name, fragments in BUCKETS:
        if any(fragment in filename for fragment in fragments):
            return name
    return "other"


def summarise(path: Path, top: int = 12) -> dict[str, object]:
    """Busy own time by bucket (shares of the busy total), idle time apart, and the `top` busy functions."""
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    by_bucket: dict[str, float] = {}
    functions = []
    idle = 0.0
    for (filename, line, name), (_, calls, own, _, _) in raw.items():
        bucket = bucket_of(filename, name)
        if bucket == IDLE:
            idle += own
            continue
        by_bucket[bucket] = by_bucket.get(bucket, 0.0) + own
        functions.append((own, calls, f"{_short(filename)}:{line}({name})"))
    busy = sum(by_bucket.values()) or 1.0
    functions.sort(reverse=True)
    ordered = sorted(by_bucket.items(), key=lambda kv: -kv[1])
    return {
        "busy_own_s": round(busy, 2),
        "idle_s": round(idle, 2),
        "share_by_bucket": {bucket: round(own / busy, 3) for bucket, own in ordered},
        "top_functions": [
            {"function": where, "own_s": round(own, 3), "calls": calls, "share": round(own / busy, 3)}
            for own, calls, where in functions[:top]
        ],
    }


def render(summary: dict[str, object]) -> str:
    lines = [
        f"profile of one worker: {summary['busy_own_s']} s busy in Python functions "
        f"(+{summary['idle_s']} s idle, waiting for the network); shares of the busy time:"
    ]
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
