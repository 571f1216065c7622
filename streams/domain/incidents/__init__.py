"""Incidents and lockdowns ("close the city gates"): calls and reports in, plans, events and alerts out."""

from streams.domain.incidents.calls import Call, check_call
from streams.domain.incidents.correlation import on_report
from streams.domain.incidents.lifecycle import (
    Incident,
    IncidentSettings,
    Lockdown,
    Outcome,
    escalate,
    lift,
    on_arrival,
    on_call,
    on_capture,
    on_tick,
)
from streams.domain.incidents.planner import LockdownPlan, plan_lockdown
from streams.domain.incidents.reports import Report, check_report
from streams.domain.incidents.sightings import lookout_sighting, on_sighting
from streams.domain.incidents.trajectory import Heading, heading, intercept_ahead

__all__ = [
    "Call",
    "Heading",
    "Incident",
    "IncidentSettings",
    "Lockdown",
    "LockdownPlan",
    "Outcome",
    "Report",
    "check_call",
    "check_report",
    "escalate",
    "heading",
    "intercept_ahead",
    "lift",
    "lookout_sighting",
    "on_arrival",
    "on_call",
    "on_capture",
    "on_report",
    "on_sighting",
    "on_tick",
    "plan_lockdown",
]
