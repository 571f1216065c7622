"""The command side: one partition, one worker, the consistent view of alerts, incidents and lockdowns."""

from streams.worker.command_side.alert_book import AlertBook
from streams.worker.command_side.incident_desk import IncidentDesk
from streams.worker.command_side.router import CommandRouter

__all__ = ["AlertBook", "CommandRouter", "IncidentDesk"]
