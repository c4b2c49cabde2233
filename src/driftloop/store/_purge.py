"""Purging deleted objects for good: the rows of ``driftloop gc`` (the blobs follow).

Only objects deleted at least ``older_than`` ago are purged, each with every row that
belongs to it: a run with its params, metrics, tags, inputs and artifact index; a dataset
version with its validations; an endpoint with its deployments, prediction log index,
feedback labels and loop history; a monitor with its windows, series and alerts. Blobs
no row references afterwards are left to the blob collector (``artifacts/_gc.py``),
which removes them past its own grace period. Purged names are free again, and a
purged newest version keeps its number taken while its dataset or model exists
(``PurgedVersionRow``). Each purge is a row of the lifecycle log.

An object whose rows something not purged still points at is kept and said why (a run
a registered version was made from; an experiment with runs kept). The whole pass is one
transaction, so a dry run is the same pass rolled back: it lists exactly what would go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from driftloop.errors import InvalidInputError
from driftloop.store._automation_rows import LoopDecisionRow, LoopEpisodeRow, LoopPolicyRow
from driftloop.store._base import utcnow
from driftloop.store._data_rows import DatasetRow, DatasetValidationRow, DatasetVersionRow
from driftloop.store._features_rows import FeatureViewRow, FeatureViewStateRow
from driftloop.store._lifecycle import record_event
from driftloop.store._lifecycle_rows import PurgedVersionRow
from driftloop.store._metadata_store import MetadataStore
from driftloop.store._monitoring_rows import (
    AlertRow,
    AlertRuleRow,
    MonitorMetricRow,
    MonitorRow,
    MonitorWindowRow,
)
from driftloop.store._prediction_rows import PredictionFeedbackRow, PredictionSegmentRow
from driftloop.store._registry_rows import (
    ModelAliasEventRow,
    ModelAliasRow,
    ModelVersionRow,
    RegisteredModelRow,
)
from driftloop.store._serving_rows import DeploymentRow
from driftloop.store._sql import scope_key, upsert
from driftloop.store._tracking_rows import (
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunArtifactRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from driftloop.store._trigger_rows import TriggerEventRow, TriggerRow


@dataclass(frozen=True, slots=True)
class PurgedObject:
    """A deleted object: who deleted it and when; ``why`` says why it was kept, if it was."""

    kind: str
    name: str
    deleted_by: str
    deleted_at: datetime
    why: str = ""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed (or, when ``dry_run``, would remove) and which deleted objects
    it kept: too recently deleted, or still pointed at."""

    dry_run: bool
    purged: tuple[PurgedObject, ...]
    kept: tuple[PurgedObject, ...]


@dataclass
class _Pass:
    session: Session
    cutoff: datetime
    actor: str
    now: datetime
    purged: list[PurgedObject] = field(default_factory=list)
    kept: list[PurgedObject] = field(default_factory=list)

    def due(self, row_type: Any) -> list[Any]:
        """Deleted rows of ``row_type``; those deleted after the cutoff are kept, said so
        (once per object: an endpoint's deployments, a view's versions are one object)."""
        rows = list(self.session.scalars(select(row_type).where(row_type.deleted_at.is_not(None))))
        said = {(k.kind, k.name) for k in self.kept}
        for row in rows:
            kind, name = _KINDS[row_type], self.name_of(row)
            if row.deleted_at > self.cutoff and (kind, name) not in said:
                self.keep(kind, name, row, "deleted too recently")
                said.add((kind, name))
        return [row for row in rows if row.deleted_at <= self.cutoff]

    def name_of(self, row: Any) -> str:
        """The printable name of the object ``row`` belongs to."""
        if isinstance(row, ModelVersionRow):
            model = self.session.get(RegisteredModelRow, row.model_id)
            return f"{model.name if model else row.model_id}@{row.version}"
        if isinstance(row, DatasetVersionRow):
            return f"{row.name}@{row.version}"
        if isinstance(row, DeploymentRow | LoopPolicyRow):
            return str(row.endpoint)
        return str(row.id if isinstance(row, RunRow) else row.name)

    def keep(self, kind: str, name: str, row: Any, why: str) -> None:
        self.kept.append(PurgedObject(kind, name, row.deleted_by, row.deleted_at, why))

    def gone(self, kind: str, name: str, row: Any) -> None:
        self.purged.append(PurgedObject(kind, name, row.deleted_by, row.deleted_at))
        record_event(self.session, kind, name, "purge", self.actor, self.now)

    def remove(self, row_type: Any, *where: ColumnElement[bool]) -> None:
        self.session.execute(delete(row_type).where(*where))


class _DryRun(Exception):
    """Raised at the end of a dry run: the pass's transaction rolls back."""


class Trash:
    """The deleted objects of a workspace, and their purge.

    ``forget`` maps an object kind to what else to drop once its rows are gone (the
    workspace drops a purged feature view's online values).
    """

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        forget: Mapping[str, Callable[[str], None]] | None = None,
    ) -> None:
        self.store = store
        self.user = user
        self.forget = dict(forget or {})

    def purge(
        self,
        *,
        older_than: timedelta = timedelta(0),
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> PurgeReport:
        """Purge every object deleted at least ``older_than`` ago (see the module docstring);
        ``dry_run`` lists what would go and removes nothing.

        Example::

            ws.trash.purge(older_than=timedelta(days=30), dry_run=True).purged
        """
        if older_than < timedelta(0):
            raise InvalidInputError(f"older_than {older_than} is negative; give 0 or more")
        now = now or utcnow()
        cutoff = now - older_than
        found: list[_Pass] = []
        try:
            with self.store.session() as session:
                work = _Pass(session, cutoff, self.user, now)
                found.append(work)
                for step in _STEPS:
                    step(work)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        work = found[0]
        if not dry_run:
            for item in work.purged:
                if item.kind in self.forget:
                    self.forget[item.kind](item.name)
        return PurgeReport(dry_run, tuple(work.purged), tuple(work.kept))


def _loop_policies(work: _Pass) -> None:
    for row in work.due(LoopPolicyRow):
        work.remove(LoopPolicyRow, LoopPolicyRow.endpoint == row.endpoint)
        work.gone("loop_policy", row.endpoint, row)


def _triggers(work: _Pass) -> None:
    for row in work.due(TriggerRow):
        work.remove(TriggerEventRow, TriggerEventRow.trigger_id == row.id)
        work.remove(TriggerRow, TriggerRow.id == row.id)
        work.gone("trigger", row.name, row)


def _monitors(work: _Pass) -> None:
    for row in work.due(AlertRuleRow):
        work.remove(AlertRow, AlertRow.rule == row.name)
        work.remove(AlertRuleRow, AlertRuleRow.name == row.name)
        work.gone("alert_rule", row.name, row)
    for row in work.due(MonitorRow):
        for owned in (MonitorWindowRow, MonitorMetricRow, AlertRow):
            work.remove(owned, owned.monitor == row.name)
        work.remove(AlertRuleRow, AlertRuleRow.monitor == row.name)
        work.remove(MonitorRow, MonitorRow.name == row.name)
        work.gone("monitor", row.name, row)


def _endpoints(work: _Pass) -> None:
    # Every deployment of an endpoint is deleted at once, so all are due or none is.
    newest: dict[str, DeploymentRow] = {}
    for row in work.due(DeploymentRow):
        if row.endpoint not in newest or row.version > newest[row.endpoint].version:
            newest[row.endpoint] = row
    for endpoint, row in sorted(newest.items()):
        work.remove(DeploymentRow, DeploymentRow.endpoint == endpoint)
        work.remove(PredictionSegmentRow, PredictionSegmentRow.endpoint == endpoint)
        work.remove(PredictionFeedbackRow, PredictionFeedbackRow.endpoint == endpoint)
        if work.session.get(LoopPolicyRow, endpoint) is None:  # its loop history goes too
            work.remove(LoopDecisionRow, LoopDecisionRow.endpoint == endpoint)
            work.remove(LoopEpisodeRow, LoopEpisodeRow.endpoint == endpoint)
        work.gone("endpoint", endpoint, row)


def _feature_views(work: _Pass) -> None:
    # Every version of a view is deleted at once, so all are due or none is.
    for name, row in sorted({row.name: row for row in work.due(FeatureViewRow)}.items()):
        work.remove(FeatureViewRow, FeatureViewRow.name == name)
        work.remove(FeatureViewStateRow, FeatureViewStateRow.name == name)
        work.gone("feature_view", name, row)


def _models(work: _Pass) -> None:
    dead = {row.id: row for row in work.due(RegisteredModelRow)}
    for row in work.due(ModelVersionRow):
        model = work.session.get(RegisteredModelRow, row.model_id)
        assert model is not None
        if row.model_id in dead:
            continue  # goes with its model below
        if model.deleted_at is not None:
            work.keep("model_version", work.name_of(row), row, "goes with its model, later")
            continue
        _floor(work, ModelVersionRow, {"model_id": row.model_id}, row.version)
        work.remove(ModelVersionRow, ModelVersionRow.id == row.id)
        work.gone("model_version", f"{model.name}@{row.version}", row)
    for model_id, row in dead.items():
        for owned in (ModelVersionRow, ModelAliasRow, ModelAliasEventRow):
            work.remove(owned, owned.model_id == model_id)
        _unfloor(work, ModelVersionRow, {"model_id": model_id})
        work.remove(RegisteredModelRow, RegisteredModelRow.id == model_id)
        work.gone("model", row.name, row)
    work.kept = [k for k in work.kept if k.kind != "model_version" or _model_alive(work, k)]


def _model_alive(work: _Pass, item: PurgedObject) -> bool:
    name = item.name.rpartition("@")[0]
    return (
        work.session.scalar(select(RegisteredModelRow.id).where(RegisteredModelRow.name == name))
        is not None
    )


def _datasets(work: _Pass) -> None:
    dead = {row.name: row for row in work.due(DatasetRow)}
    for row in work.due(DatasetVersionRow):
        if row.name in dead:
            continue
        dataset = work.session.get(DatasetRow, row.name)
        if dataset is not None and dataset.deleted_at is not None:
            work.keep("dataset_version", work.name_of(row), row, "goes with its dataset, later")
            continue
        _floor(work, DatasetVersionRow, {"name": row.name}, row.version)
        work.remove(DatasetValidationRow, DatasetValidationRow.version_id == row.id)
        work.remove(DatasetVersionRow, DatasetVersionRow.id == row.id)
        work.gone("dataset_version", f"{row.name}@{row.version}", row)
    for name, row in dead.items():
        versions = select(DatasetVersionRow.id).where(DatasetVersionRow.name == name)
        work.remove(DatasetValidationRow, DatasetValidationRow.version_id.in_(versions))
        work.remove(DatasetVersionRow, DatasetVersionRow.name == name)
        _unfloor(work, DatasetVersionRow, {"name": name})
        work.remove(DatasetRow, DatasetRow.name == name)
        work.gone("dataset", name, row)
    gone = {k.name for k in work.purged if k.kind == "dataset"}
    work.kept = [
        k for k in work.kept if k.kind != "dataset_version" or k.name.split("@")[0] not in gone
    ]


def _runs(work: _Pass) -> None:
    rows = {row.id: row for row in work.due(RunRow)}
    blocked = _runs_pointed_at(work.session, rows)
    for run_id, why in blocked.items():
        work.keep("run", run_id, rows.pop(run_id), why)
    owned = (ParamRow, TagRow, MetricRow, LatestMetricRow, RunInputRow, RunArtifactRow)
    for run_id in sorted(rows, key=lambda r: -_depth(rows, r)):  # nested runs first
        for row_type in owned:
            work.remove(row_type, row_type.run_id == run_id)
        work.remove(RunRow, RunRow.id == run_id)
        work.gone("run", run_id, rows[run_id])
    for row in work.due(ExperimentRow):
        left = work.session.scalar(
            select(func.count()).select_from(RunRow).where(RunRow.experiment_id == row.id)
        )
        if left:
            work.keep("experiment", row.name, row, f"{left} of its runs are kept")
            continue
        work.remove(ExperimentRow, ExperimentRow.id == row.id)
        work.gone("experiment", row.name, row)


def _runs_pointed_at(session: Session, rows: Mapping[str, RunRow]) -> dict[str, str]:
    """Runs something not purged points at, and why: a model version made from it, a
    nested run kept; a kept run keeps its parent in turn (``runs.parent_run_id``)."""
    ids = list(rows)
    blocked: dict[str, str] = {}
    for run_id, version in session.execute(
        select(ModelVersionRow.run_id, ModelVersionRow.version).where(
            ModelVersionRow.run_id.in_(ids)
        )
    ):
        blocked[str(run_id)] = f"a model version ({version}) in the registry comes from it"
    for child, parent in session.execute(
        select(RunRow.id, RunRow.parent_run_id).where(
            RunRow.parent_run_id.in_(ids), RunRow.id.not_in(ids)
        )
    ):
        blocked.setdefault(str(parent), f"its nested run {child} is not purged")
    todo = list(blocked)
    while todo:
        parent = rows[todo.pop()].parent_run_id
        if parent is not None and parent in rows and parent not in blocked:
            blocked[parent] = "a nested run of it is kept"
            todo.append(parent)
    return blocked


def _depth(rows: Mapping[str, RunRow], run_id: str) -> int:
    depth, parent = 0, rows[run_id].parent_run_id
    while parent is not None and parent in rows and depth < len(rows):
        depth, parent = depth + 1, rows[parent].parent_run_id
    return depth


def _floor(work: _Pass, column: Any, scope: dict[str, Any], version: int) -> None:
    """Keep ``version`` taken in ``scope`` (see ``PurgedVersionRow``)."""
    table, key = column.__table__.name, scope_key(scope)
    found = work.session.get(PurgedVersionRow, (table, key))
    if found is None or found.version < version:
        values = {"table_name": table, "scope": key, "version": version}
        upsert(work.session, PurgedVersionRow, ["table_name", "scope"], [values])


def _unfloor(work: _Pass, column: Any, scope: dict[str, Any]) -> None:
    work.remove(
        PurgedVersionRow,
        and_(
            PurgedVersionRow.table_name == column.__table__.name,
            PurgedVersionRow.scope == scope_key(scope),
        ),
    )


_KINDS: dict[Any, str] = {
    LoopPolicyRow: "loop_policy",
    TriggerRow: "trigger",
    AlertRuleRow: "alert_rule",
    MonitorRow: "monitor",
    DeploymentRow: "endpoint",
    FeatureViewRow: "feature_view",
    RegisteredModelRow: "model",
    ModelVersionRow: "model_version",
    DatasetRow: "dataset",
    DatasetVersionRow: "dataset_version",
    RunRow: "run",
    ExperimentRow: "experiment",
}

# Dependents before what they point at: rows referring to others go first.
_STEPS: tuple[Callable[[_Pass], None], ...] = (
    _loop_policies,
    _triggers,
    _monitors,
    _endpoints,
    _feature_views,
    _models,
    _datasets,
    _runs,
)
