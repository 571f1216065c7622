#!/usr/bin/env python3
"""Generates citygate's Grafana dashboard from code (standard library only).

    python deploy/grafana/generate.py > deploy/grafana/citygate.json

Edit this file, never the JSON: a test checks that the committed JSON is exactly this script's output, and
the integration test evaluates every panel's query against a real Prometheus scraping a real worker.
Queries use Grafana's `$__rate_interval` (rates) and `$__range` (the whole time range, for rare events);
every metric is one a worker exposes (README.md, "Metrics").
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "citygate-prometheus"}  # provisioning/datasources/citygate.yml
UID = "citygate"
GRID_WIDTH = 24


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False  # one value over the range (tables, bar gauges), not a series over time
    table: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"  # timeseries, stat, bargauge, table
    unit: str = "short"
    width: int = 8
    height: int = 8
    options: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)


def rate(metric: str, by: str, window: str = "$__rate_interval") -> str:
    return f"sum by ({by}) (rate({metric}[{window}]))"


def quantile(q: float, metric: str, by: str, window: str = "$__rate_interval", fn: str = "rate") -> str:
    return f"histogram_quantile({q}, sum by ({by}) ({fn}({metric}_bucket[{window}])))"


OVERVIEW = (
    Panel(
        "Input by source and outcome",
        "Messages read per second from each input topic: valid, or sent to the dead-letter topic.",
        (Query(rate("citygate_events_total", "source, outcome"), "{{source}} {{outcome}}"),),
        unit="cps",
    ),
    Panel(
        "Watchlist matches by match type",
        "Hits that matched a watchlist entry, per second: exact, an alternative reading (candidate), or "
        "equal but for characters cameras confuse (ocr_equivalent).",
        (Query(rate("citygate_watchlist_matches_total", "match_type"), "{{match_type}}"),),
        unit="cps",
    ),
    Panel(
        "Alerts by kind",
        "Alerts emitted per second by kind (watchlist_match, retro_match, ring_breach, intercept_ahead, "
        "lookout_sighting, …); a dedup update of an open alert counts again.",
        (Query(rate("citygate_alerts_total", "kind"), "{{kind}}"),),
        unit="cps",
    ),
    Panel(
        "Hit → alert latency",
        "From a hit's event time at the camera to its alert handed to Kafka, all workers. Includes the "
        "gateways' buffering; alert CitygateHitToAlertLatencyHigh fires when p99 stays above 5 s.",
        (
            Query(quantile(0.5, "citygate_hit_to_alert_seconds", "le"), "p50"),
            Query(quantile(0.99, "citygate_hit_to_alert_seconds", "le"), "p99"),
        ),
        unit="s",
        width=GRID_WIDTH,
    ),
)

LOCKDOWNS = (
    Panel(
        "Active lockdowns by ring",
        "Active lockdowns that keep each ring closed.",
        (Query("sum by (ring) (citygate_lockdowns_active)", "{{ring}}"),),
        custom={"drawStyle": "line", "lineInterpolation": "stepAfter"},
    ),
    Panel(
        "Points staffed vs required",
        "Manned points the active lockdowns need on each ring, and how many are staffed. A ring is sealed "
        "when all are; CitygateRingNotSealed fires after the ring's staffing time (core 5, urban 10, "
        "city 15 min).",
        (
            Query("sum by (ring) (citygate_points_staffed)", "{{ring}} staffed"),
            Query("sum by (ring) (citygate_points_required)", "{{ring}} required"),
        ),
        custom={"drawStyle": "line", "lineInterpolation": "stepAfter"},
    ),
    Panel(
        "Sealing progress",
        "Share of each closed ring's manned points that are staffed, now.",
        (
            Query(
                "sum by (ring) (citygate_points_staffed) / (sum by (ring) (citygate_points_required) > 0)",
                "{{ring}}",
                instant=True,
            ),
        ),
        kind="bargauge",
        unit="percentunit",
        options={"min": 0, "max": 1},
    ),
    Panel(
        "Time to seal (over the time range)",
        "From a lockdown raised to each ring sealed: median and 90th percentile of the rings sealed "
        "in the dashboard's time range.",
        (
            Query(
                quantile(0.5, "citygate_time_to_seal_seconds", "ring, le", "$__range", "increase"),
                "{{ring}} p50",
                instant=True,
            ),
            Query(
                quantile(0.9, "citygate_time_to_seal_seconds", "ring, le", "$__range", "increase"),
                "{{ring}} p90",
                instant=True,
            ),
        ),
        kind="bargauge",
        unit="s",
    ),
    Panel(
        "Lockdown lifecycle events",
        "Lockdown events per interval: raised, point_staffed, ring_sealed, escalated, lifted.",
        (
            Query(
                "sum by (type) (increase(citygate_lockdown_events_total[$__rate_interval]))",
                "{{type}}",
            ),
        ),
        custom={"drawStyle": "bars", "fillOpacity": 80, "stacking": {"mode": "normal"}},
    ),
    Panel(
        "Open incidents by priority",
        "Open incidents (110 calls that opened one), by priority; 1 is the most urgent.",
        (Query("sum by (priority) (citygate_incidents_open)", "priority {{priority}}"),),
        custom={"drawStyle": "line", "lineInterpolation": "stepAfter"},
    ),
)

HEALTH = (
    Panel(
        "Consumer lag by partition",
        "Messages not yet committed by the consumer group, per partition (each worker reports the "
        "partitions it holds). CitygateConsumerLagGrowing fires when a topic's lag is above 1000 and grows "
        "for 10 min.",
        (Query("sum by (topic, partition) (citygate_consumer_lag)", "{{topic}} [{{partition}}]"),),
    ),
    Panel(
        "Dead letters by source and reason",
        "Input sent to the dead-letter topic per second, by source topic and reason code.",
        (Query(rate("citygate_deadletters_total", "source, reason"), "{{source}} {{reason}}"),),
        unit="cps",
    ),
    Panel(
        "Silent checkpoint sites",
        "Sites silent for longer than max(5 min, 10 × their usual gap between hits): a camera or its "
        "gateway is down. Sites are judged once their usual gap is known.",
        (
            Query("sum(citygate_checkpoints_silent)", "silent"),
            Query("sum(citygate_checkpoints_tracked)", "judged"),
        ),
        kind="stat",
        options={"colorMode": "value", "graphMode": "area", "textMode": "value_and_name"},
    ),
    Panel(
        "Most overdue checkpoints",
        "The sites silent for the longest beyond their threshold (each worker reports its top 20).",
        (
            Query(
                "topk(20, max by (checkpoint) (citygate_checkpoint_silent_seconds))",
                "{{checkpoint}}",
                instant=True,
                table=True,
            ),
        ),
        kind="table",
        unit="s",
    ),
    Panel(
        "Watchlist entries by category",
        "Entries in the watchlist replica; every worker holds the whole list, so this is the largest count.",
        (Query("max by (category) (citygate_watchlist_entries)", "{{category}}"),),
    ),
    Panel(
        "Workers and watchlist replicas",
        "Workers Prometheus can scrape, and those whose watchlist replica has caught up (a worker matches "
        "no hits before).",
        (
            Query('sum(up{job="citygate"})', "workers up"),
            Query("sum(citygate_watchlist_replica_ready)", "replicas ready"),
        ),
        custom={"drawStyle": "line", "lineInterpolation": "stepAfter"},
    ),
)


def by_priority_over_range(title: str, description: str, metric: str) -> Panel:
    """Median and p90 of a seconds histogram by incident priority, over the dashboard's time range."""
    queries = tuple(
        Query(
            quantile(q, metric, "priority, le", "$__range", "increase"),
            f"priority {{{{priority}}}} p{round(q * 100)}",
            instant=True,
        )
        for q in (0.5, 0.9)
    )
    return Panel(title, description, queries, kind="bargauge", unit="s")


FORCES = (
    by_priority_over_range(
        "Response time (over the time range)",
        "From a call received to its first dispatched unit on scene, median and 90th percentile by the "
        "incident's priority, of the arrivals in the dashboard's time range (docs/forces.md).",
        "citygate_response_seconds",
    ),
    by_priority_over_range(
        "Dispatch delay (over the time range)",
        "From a call received to its first unit dispatched by an operator, median and 90th percentile by "
        "priority.",
        "citygate_dispatch_delay_seconds",
    ),
    Panel(
        "Units by status",
        "Registered units the command side knows a state of, by status (available, dispatched, en_route, "
        "on_scene, off_duty), and those whose last position is stale (older than 10 min).",
        (
            Query("sum by (status) (citygate_units)", "{{status}}"),
            Query("sum(citygate_units_stale)", "stale position"),
        ),
        custom={"drawStyle": "line", "lineInterpolation": "stepAfter", "stacking": {"mode": "none"}},
    ),
)

ROWS = (("Overview", OVERVIEW), ("Lockdowns", LOCKDOWNS), ("Forces", FORCES), ("Health", HEALTH))


def target(query: Query, ref_id: str) -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": query.expr,
        "format": "table" if query.table else "time_series",
        "instant": query.instant,
        "legendFormat": query.legend,
        "range": not query.instant,
        "refId": ref_id,
    }


def panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": panel.unit}
    options: dict[str, Any]
    if panel.kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "fillOpacity": 10, "lineWidth": 1, **panel.custom}
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    elif panel.kind == "table":
        options = {"showHeader": True, "sortBy": [{"desc": True, "displayName": "Value"}]}
    else:
        defaults.update({k: v for k, v in panel.options.items() if k in ("min", "max")})
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            **{k: v for k, v in panel.options.items() if k not in ("min", "max")},
        }
    result: dict[str, Any] = {
        "datasource": DATASOURCE,
        "description": panel.description,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "id": panel_id,
        "options": options,
        "targets": [target(q, chr(ord("A") + n)) for n, q in enumerate(panel.queries)],
        "title": panel.title,
        "type": panel.kind,
    }
    if panel.kind == "table":
        result["transformations"] = [
            {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": {}}}
        ]
    return result


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    panel_id = 1
    for title, row_panels in ROWS:
        panels.append(
            {
                "collapsed": False,
                "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                "id": panel_id,
                "panels": [],
                "title": title,
                "type": "row",
            }
        )
        panel_id += 1
        y += 1
        x = 0
        line_height = 0
        for panel in row_panels:
            if x + panel.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            panels.append(panel_json(panel, panel_id, x, y))
            panel_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return {
        "annotations": {"list": []},
        "description": "citygate: ANPR hits, watchlist alerts, lockdowns of the city's rings, worker health.",
        "editable": False,
        "graphTooltip": 1,
        "links": [],
        "panels": panels,
        "refresh": "10s",
        "schemaVersion": 39,
        "tags": ["citygate"],
        "templating": {"list": []},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": "citygate",
        "uid": UID,
        "version": 1,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.buffer.write(render().encode())


if __name__ == "__main__":
    main()
