"""Model version -> the loop episodes it was the challenger of, and what triggered them.

Registered with the registry as a lineage provider, so ``dl.lineage`` and ``driftloop
models lineage`` of a promoted version reach the alert (or schedule, or person) that
started its retraining, and how the episode ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select

from driftloop.automation._journal import LoopJournal
from driftloop.registry._models import LineageNode, ModelVersion
from driftloop.store import MetadataStore
from driftloop.store._automation_rows import LoopEpisodeRow, LoopPolicyRow


def loop_lineage(
    store: MetadataStore,
) -> Callable[[ModelVersion], Iterable[tuple[LineageNode, str]]]:
    journal = LoopJournal(store)

    def provide(version: ModelVersion) -> Iterable[tuple[LineageNode, str]]:
        query = (
            select(LoopEpisodeRow)
            .join(LoopPolicyRow, LoopPolicyRow.endpoint == LoopEpisodeRow.endpoint)
            .where(LoopEpisodeRow.challenger_version == version.version)
            .order_by(LoopEpisodeRow.started_at)
        )
        with store.read() as session:
            episodes = [
                row
                for row in session.scalars(query)
                if journal.policy(row.endpoint).policy.model == version.name
            ]
        for row in episodes:
            cause = row.trigger or {}
            said = f"{cause.get('kind', 'trigger')} {cause.get('source') or ''}".strip()
            yield (
                LineageNode(
                    f"loop_episode:{row.id}",
                    "loop_episode",
                    f"loop episode {row.id[:8]} of endpoint {row.endpoint}: triggered by "
                    f"{said}, {row.state}",
                    {
                        "endpoint": row.endpoint,
                        "episode_id": row.id,
                        "state": row.state,
                        "trigger": cause,
                        "pipeline_run_id": row.pipeline_run_id,
                        "started_at": row.started_at,
                        "ended_at": row.ended_at,
                    },
                ),
                "challenger_in_loop",
            )

    return provide
