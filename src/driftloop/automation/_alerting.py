"""The monitor's firing alerts, as the loop asks for them (``FiringAlerts``)."""

from __future__ import annotations

from typing import Any

from driftloop.monitoring._alerts import alert_payload
from driftloop.monitoring._service import MonitoringService


class MonitorAlerts:
    def __init__(self, monitoring: MonitoringService) -> None:
        self._monitoring = monitoring

    def firing(self, endpoint: str, rules: list[str]) -> list[dict[str, Any]]:
        wanted = set(rules)
        return [
            alert_payload(alert)
            for alert in self._monitoring.alerts(firing_only=True)
            if alert.endpoint == endpoint and alert.rule in wanted
        ]
