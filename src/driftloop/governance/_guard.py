"""The guard of protected aliases and endpoints, run inside the transaction of the move.

The registry calls :meth:`ProtectionGuard.check_alias` in the transaction that moves an
alias, serving calls :meth:`ProtectionGuard.check_routes` in the one that writes a new
deployment. The version's approval request is read under a lock, checked against every
protection covering the move, and the use of its approvals written in the same
transaction: the move and its approvals commit together or not at all, and a decision
racing the move waits for it (or the move for the decision).

With no protection (a solo user on a laptop), nothing changes: one small read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from driftloop.errors import ConflictError
from driftloop.governance import _protections as p
from driftloop.governance._models import Protection
from driftloop.store import utcnow
from driftloop.store._governance_rows import ApprovalUseRow


class ProtectionGuard:
    """Refuses moves of protected aliases and endpoints that lack their approvals."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock

    def check_alias(
        self, session: Session, model: str, alias: str, version: int | None, user: str
    ) -> None:
        """Before ``alias`` of ``model`` moves to ``version`` (None: is removed).

        Raises:
            ConflictError: the alias is protected and the version lacks approvals, or the
                protected alias would be removed.
        """
        covering = p.covering_alias(p.protections(session), model, alias)
        if not covering:
            return
        if version is None:
            raise ConflictError(
                f"alias {alias!r} of model {model!r} is protected ({covering[0].target}); it "
                "cannot be removed, only moved with approvals. Remove the protection first "
                f"(`driftloop protections remove {covering[0].id}`, needs manage on model)"
            )
        what = f"moving alias {alias!r} of model {model!r} to version {version}"
        ask = f"ask with `driftloop approvals request {model}@{version} --alias {alias} -r WHY`"
        target = p.alias_target(model, alias)
        self._require(session, covering, model, version, target, user, what, ask)

    def check_routes(
        self, session: Session, endpoint: str, routes: Sequence[tuple[str, int]], user: str
    ) -> None:
        """Before ``endpoint`` sends live traffic to ``routes`` (model, version) it did not
        before in that role.

        Raises:
            ConflictError: the endpoint is protected and a version lacks approvals.
        """
        if not routes:
            return
        covering = p.covering_endpoint(p.protections(session), endpoint)
        if not covering:
            return
        for model, version in routes:
            what = f"deploying {model}@{version} to endpoint {endpoint!r}"
            ask = (
                f"ask with `driftloop approvals request {model}@{version} --endpoint "
                f"{endpoint} -r WHY`"
            )
            target = p.endpoint_target(endpoint)
            self._require(session, covering, model, version, target, user, what, ask)

    def _require(
        self,
        session: Session,
        covering: list[Protection],
        model: str,
        version: int,
        target: str,
        user: str,
        what: str,
        ask: str,
    ) -> None:
        row = p.request_row(session, model, version, lock=True)
        request = p.to_request(session, row) if row is not None else None
        problems = [s for s in (p.shortfall(c, request) for c in covering) if s is not None]
        if problems:
            hint = ask
            if request is not None and target in request.targets:
                hint = f"see `driftloop approvals show {model}@{version}`"
            raise ConflictError(f"{what} is refused: {'; '.join(problems)}; {hint}")
        assert row is not None and request is not None  # met protections need a request
        session.add(
            ApprovalUseRow(
                request_id=row.id,
                target=target,
                used_by=user,
                at=self._clock(),
                details={
                    "protections": [c.id for c in covering],
                    "approvers": [a.approver for a in request.approvals],
                },
            )
        )
