"""Approvals of model versions, and the protections that ask for them.

A protection names a protected alias of the models matching a pattern (``champion`` of
``churn*``) or a protected endpoint, and the approvals a move there needs (one
subject-matter expert and one DevOps engineer). A model version has one approval
request: who asked, for which targets, and each person's decision (who, as which role,
when, why); it is pending until the approvals meet what it was asked for, approved
then, rejected by any rejection. Whoever asked cannot approve (four eyes), and a
decided request takes no more decisions: of two people racing for the last approval,
one wins and the other is told it was decided.

Like :class:`~driftloop.governance.GovernanceService`, it acts for an unchecked operator
or, with a ``principal``, checks every call against the principal's roles. The roles an
approval counts for are always the approver's role bindings, on a laptop too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from driftloop.errors import ConflictError, NotFoundError, PermissionDeniedError
from driftloop.governance import _directory as d
from driftloop.governance import _protections as p
from driftloop.governance._models import Approval, ApprovalRequest, ApprovalStatus, Protection
from driftloop.governance._permissions import allowed, require
from driftloop.governance._requirements import (
    check_requirements,
    describe,
    merge,
    missing_approvals,
)
from driftloop.governance._vocabulary import Action, Kind, Principal
from driftloop.store import retry_on_conflict, utcnow
from driftloop.store._governance_rows import ApprovalRequestRow, ApprovalRow, ProtectionRow
from driftloop.store._metadata_store import MetadataStore

S = ApprovalStatus
# event ("requested", "approved", "rejected"), the request as it is after it
Notify = Callable[[str, ApprovalRequest], None]


class ApprovalService:
    """Protections, approval requests and decisions over the metadata store; acts for ``user``.

    Example::

        ws.approvals.protect_alias("churn*", "champion", {"subject_matter_expert": 1})
        ws.approvals.request("churn", 3, alias="champion", reason="beats v2 on the holdout")
        ws.acting_as("sam").approvals.approve("churn", 3, "meets the brief")
    """

    def __init__(
        self,
        store: MetadataStore,
        user: str,
        *,
        principal: Principal | None = None,
        check_version: Callable[[str, int], object] | None = None,
        notify: Notify | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.user = principal.name if principal is not None else user
        self.principal = principal
        self._check_version = check_version
        self._notify = notify
        self._clock = clock

    def for_principal(self, principal: Principal) -> ApprovalService:
        """This service acting for ``principal``, every call checked against its roles."""
        return ApprovalService(
            self.store,
            principal.name,
            principal=principal,
            check_version=self._check_version,
            notify=self._notify,
            clock=self._clock,
        )

    # protections -----------------------------------------------------------------------

    def protect_alias(self, pattern: str, alias: str, requires: Mapping[str, int]) -> Protection:
        """Protect ``alias`` of every model matching ``pattern``: it moves only to versions
        approved as ``requires`` says (setting it again replaces what it requires)."""
        from driftloop.registry._uri import check_alias

        check_alias(alias)
        self._check(Action.MANAGE, Kind.MODEL, p.check_pattern(pattern))
        return self._protect(p.MODEL, pattern, alias, requires)

    def protect_endpoint(self, pattern: str, requires: Mapping[str, int]) -> Protection:
        """Protect the endpoints matching ``pattern``: a deployment or promotion sends live
        traffic only to versions approved as ``requires`` says (a rollback is not held)."""
        self._check(Action.MANAGE, Kind.ENDPOINT, p.check_pattern(pattern))
        return self._protect(p.ENDPOINT, pattern, "", requires)

    def _protect(
        self, kind: str, pattern: str, alias: str, requires: Mapping[str, int]
    ) -> Protection:
        wanted = check_requirements(requires)

        def attempt() -> Protection:
            with self.store.session() as session:
                row = session.scalar(
                    select(ProtectionRow).where(
                        ProtectionRow.kind == kind,
                        ProtectionRow.pattern == pattern,
                        ProtectionRow.alias == alias,
                    )
                )
                if row is None:
                    row = ProtectionRow(
                        kind=kind,
                        pattern=pattern,
                        alias=alias,
                        created_by=self.user,
                        created_at=self._clock(),
                    )
                    session.add(row)
                row.requirements = wanted
                session.flush()
                return p.to_protection(row)

        return retry_on_conflict(attempt, what=f"the protection of {pattern!r}")

    def protections(self) -> list[Protection]:
        with self.store.read() as session:
            return p.protections(session)

    def unprotect(self, protection_id: int) -> Protection:
        """Remove a protection; moves it held are free again."""
        with self.store.session() as session:
            row = session.get(ProtectionRow, protection_id)
            if row is None:
                raise NotFoundError(
                    f"no protection with id {protection_id!r}; see `driftloop protections list`"
                )
            kind = Kind.MODEL if row.kind == p.MODEL else Kind.ENDPOINT
            self._check(Action.MANAGE, kind, row.pattern)
            found = p.to_protection(row)
            session.delete(row)
        return found

    def needs_approval(
        self, model: str, *, alias: str | None = None, endpoint: str | None = None
    ) -> bool:
        """True if a protection covers ``alias`` of ``model`` or ``endpoint``."""
        found = self.protections()
        return bool(
            (alias is not None and p.covering_alias(found, model, alias))
            or (endpoint is not None and p.covering_endpoint(found, endpoint))
        )

    # requests --------------------------------------------------------------------------

    def request(
        self,
        model: str,
        version: int,
        *,
        alias: str | None = None,
        endpoint: str | None = None,
        reason: str = "",
        episode_id: str | None = None,
        requested_by: str | None = None,
    ) -> ApprovalRequest:
        """Ask for ``model`` version ``version`` to be approved for ``alias`` and/or
        ``endpoint`` (neither: every protected alias of the model). Asking again adds
        targets (and what they require) to the version's one request.

        The request requires what the protections of its targets require; with none, one
        approval by anyone but the requester. ``requested_by`` is who asks when not the
        acting user (the loop asks for its challengers).

        Raises:
            NotFoundError: no such model version.
            ConflictError: the version was rejected.
        """
        self._check(Action.WRITE, Kind.MODEL, model)
        if self._check_version is not None:
            self._check_version(model, version)
        why = p.check_reason(reason)

        def attempt() -> tuple[ApprovalRequest, bool]:
            with self.store.session() as session:
                targets, requires = p.targets_of(p.protections(session), model, alias, endpoint)
                row = p.request_row(session, model, version, lock=True)
                if row is None:
                    row = ApprovalRequestRow(
                        model=model,
                        version=version,
                        status=S.PENDING.value,
                        targets=targets,
                        requirements=requires,
                        requested_by=requested_by or self.user,
                        requested_at=self._clock(),
                        reason=why,
                        episode_id=episode_id,
                    )
                    session.add(row)
                    session.flush()
                    return p.to_request(session, row), True
                return self._extend(session, row, targets, requires, episode_id)

        what = f"the approval request of {model}@{version}"
        found, opened = retry_on_conflict(attempt, what=what)
        if opened:
            self._tell("requested", found)
        return found

    def _extend(
        self,
        session: Session,
        row: ApprovalRequestRow,
        targets: list[str],
        requires: dict[str, int],
        episode_id: str | None,
    ) -> tuple[ApprovalRequest, bool]:
        if row.status == S.REJECTED.value:
            rejected = p.to_request(session, row)
            raise ConflictError(
                f"{rejected.ref} was rejected by {p.who_decided(rejected.approvals, 'rejected')}; "
                "a rejected version is not asked for again: register a new version"
            )
        was = row.status
        row.targets = sorted({*row.targets, *targets})
        row.requirements = merge(row.requirements, requires)
        row.episode_id = row.episode_id or episode_id
        status = p.status_of(row.requirements, p.decisions(session, row.id))
        row.status = status.value
        if status is S.PENDING:
            row.decided_at = None
        session.flush()
        return p.to_request(session, row), was != row.status

    def approve(
        self, model: str, version: int, reason: str = "", *, role: str | None = None
    ) -> ApprovalRequest:
        """Approve ``model`` version ``version``, as ``role`` (by default the role of yours
        the request still needs).

        Raises:
            NotFoundError: nobody asked. PermissionDeniedError: you asked (four eyes), or
            your approval would not count. ConflictError: it is decided already.
        """
        return self._decide(model, version, S.APPROVED, reason, role)

    def reject(
        self, model: str, version: int, reason: str = "", *, role: str | None = None
    ) -> ApprovalRequest:
        """Reject ``model`` version ``version``: its protected moves stay refused."""
        return self._decide(model, version, S.REJECTED, reason, role)

    def _decide(
        self, model: str, version: int, decision: ApprovalStatus, reason: str, role: str | None
    ) -> ApprovalRequest:
        self._check(Action.APPROVE, Kind.MODEL, model)
        why = p.check_reason(reason)

        def attempt() -> ApprovalRequest:
            with self.store.session() as session:
                row = self._open_request(session, model, version, decision)
                given = p.decisions(session, row.id)
                ref = f"{model}@{version}"
                chosen = self._role(session, ref, model, row.requirements, given, role, decision)
                at = self._clock()
                session.add(
                    ApprovalRow(
                        request_id=row.id,
                        approver=self.user,
                        role=chosen,
                        decision=decision.value,
                        reason=why,
                        at=at,
                    )
                )
                after = (*given, Approval(self.user, chosen, decision.value, why, at))
                status = p.status_of(row.requirements, after)
                if status is not S.PENDING:
                    row.status, row.decided_at = status.value, at
                session.flush()
                return p.to_request(session, row)

        decided = retry_on_conflict(attempt, what=f"a decision on {model}@{version}")
        self._tell(decision.value, decided)
        return decided

    def _open_request(
        self, session: Session, model: str, version: int, decision: ApprovalStatus
    ) -> ApprovalRequestRow:
        """The version's request, locked; refused when nobody asked, you asked, it is
        decided, or you decided it already."""
        row = p.request_row(session, model, version, lock=True)
        ref = f"{model}@{version}"
        if row is None:
            raise NotFoundError(
                f"nobody asked for {ref} to be approved; ask with "
                f"`driftloop approvals request {ref} -r WHY` (see `driftloop approvals list`)"
            )
        if decision is S.APPROVED and row.requested_by == self.user:
            raise PermissionDeniedError(
                f"{self.user} asked for {ref} to be approved and may not approve it "
                "(four eyes): another person must"
            )
        given = p.decisions(session, row.id)
        if row.status != S.PENDING.value:
            who = p.who_decided(given, row.status) or "its approvals"
            raise ConflictError(f"{ref} is {row.status} already, by {who}; nothing to decide")
        mine = next((a for a in given if a.approver == self.user), None)
        if mine is not None:
            raise ConflictError(
                f"{self.user} {mine.decision} {ref} already, on {mine.at:%Y-%m-%d %H:%M} UTC"
            )
        return row

    def _role(
        self,
        session: Session,
        ref: str,
        model: str,
        requirements: dict[str, int],
        given: tuple[Approval, ...],
        asked: str | None,
        decision: ApprovalStatus,
    ) -> str | None:
        """The role this decision is given as: one the approver holds for ``model`` that
        may approve it. An approval that would meet nothing is refused."""
        principal = self.principal or d.principal_of(session, self.user)
        held = p.approving_roles(principal, model)
        if asked is not None and asked not in held:
            raise PermissionDeniedError(
                f"{self.user} does not hold a role {asked!r} that approves model {model!r}; "
                f"theirs: {', '.join(held) or 'none'}"
            )
        missing = missing_approvals(requirements, given)
        chosen = asked or next((r for r in missing if r in held), held[0] if held else None)
        if decision is S.APPROVED:
            mine = Approval(self.user, chosen, decision.value, "", self._clock())
            if missing_approvals(requirements, (*given, mine)) == missing:
                raise PermissionDeniedError(
                    f"{self.user}'s approval would not count: {ref} needs "
                    f"{describe(missing)}, and {self.user} approves as {chosen or 'no role'}"
                )
        return chosen

    # reading ---------------------------------------------------------------------------

    def find(self, model: str, version: int) -> ApprovalRequest | None:
        self._check(Action.READ, Kind.MODEL, model)
        with self.store.read() as session:
            row = p.request_row(session, model, version)
            return p.to_request(session, row) if row is not None else None

    def get(self, model: str, version: int) -> ApprovalRequest:
        found = self.find(model, version)
        if found is None:
            raise NotFoundError(
                f"{model}@{version} has no approval request; see `driftloop approvals list`"
            )
        return found

    def list_requests(self, status: ApprovalStatus | None = S.PENDING) -> list[ApprovalRequest]:
        """Requests (pending ones by default), oldest first, of the models you may read."""
        query = select(ApprovalRequestRow).order_by(ApprovalRequestRow.id)
        if status is not None:
            query = query.where(ApprovalRequestRow.status == status.value)
        with self.store.read() as session:
            found = [p.to_request(session, r) for r in session.scalars(query)]
        return [r for r in found if self._may(Action.READ, Kind.MODEL, r.model)]

    # helpers ---------------------------------------------------------------------------

    def _tell(self, event: str, request: ApprovalRequest) -> None:
        if self._notify is not None:
            self._notify(event, request)

    def _may(self, action: Action, kind: Kind, name: str) -> bool:
        return self.principal is None or allowed(self.principal, action, kind, name)

    def _check(self, action: Action, kind: Kind, name: str) -> None:
        if self.principal is not None:
            require(self.principal, action, kind, name)
