"""`approvals list | show | request | approve | reject` and `protections add | list | remove`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from driftloop.cli._output import JsonOption, console, emit, format_value, table

if TYPE_CHECKING:
    from driftloop.governance._approvals import ApprovalService
    from driftloop.governance._models import ApprovalRequest

app = typer.Typer(
    help="Approvals of model versions: who asked, who approved or rejected, as which role, why.",
    no_args_is_help=True,
)
protections_app = typer.Typer(
    help="Protected model aliases and endpoints, and the approvals a move there needs.",
    no_args_is_help=True,
)
RefArg = typer.Argument(..., help="Model version: churn@3 (or churn@challenger, an alias).")
ReasonOption = typer.Option("", "--reason", "-r", help="Why; kept with the decision.")
RoleOption = typer.Option(
    None, "--as", help="The role to decide as (by default yours that the request still needs)."
)


def _approvals() -> ApprovalService:
    from driftloop._workspace import get_workspace

    return get_workspace(create=False).approvals


def _version(ref: str) -> tuple[str, int]:
    from driftloop._workspace import get_workspace

    found = get_workspace(create=False).registry.resolve(ref)
    return found.name, found.version


def _json(request: ApprovalRequest) -> dict[str, Any]:
    from driftloop.governance._render import request_json

    return request_json(request)


def _needs(row: dict[str, Any]) -> str:
    from driftloop.governance._requirements import describe

    return describe(row["missing"]) if row["missing"] else "-"


def _said(request: ApprovalRequest, verb: str, decided: bool = False) -> None:
    row = _json(request)
    mine = row["approvals"][-1] if decided and row["approvals"] else None
    role = f" as {mine['role'] or 'no role'}" if mine is not None else ""
    still = f", still needs {_needs(row)}" if row["missing"] and row["status"] == "pending" else ""
    console.print(escape(f"{verb} {request.ref}{role}: {row['status']}{still}."))


@app.command("list")
def list_requests(
    every: bool = typer.Option(False, "--all", help="Decided requests too, not only pending."),
    as_json: bool = JsonOption,
) -> None:
    """Pending approval requests (all with --all): what each needs and who approved."""
    from driftloop.governance._models import ApprovalStatus

    rows = [_json(r) for r in _approvals().list_requests(None if every else ApprovalStatus.PENDING)]

    def render() -> None:
        table(
            f"{len(rows)} approval request(s)",
            ["version", "status", "needs", "approved by", "asked by"],
            [
                (
                    r["ref"],
                    r["status"],
                    _needs(r),
                    ", ".join(a["approver"] for a in r["approvals"] if a["decision"] == "approved")
                    or "-",
                    r["requested_by"],
                )
                for r in rows
            ],
        )

    emit(rows, as_json, render)


@app.command("show")
def show(ref: str = RefArg, as_json: bool = JsonOption) -> None:
    """One version's approval request: targets, what it needs, every decision and use."""
    row = _json(_approvals().get(*_version(ref)))

    def render() -> None:
        from driftloop.governance._requirements import describe

        needs = f", still needs {_needs(row)}" if row["status"] == "pending" else ""
        lines = [
            f"{row['ref']}: {row['status']}{needs}",
            f"  asked by {row['requested_by']} on {format_value(row['requested_at'])}: "
            f"{row['reason'] or '-'}",
            f"  for {', '.join(row['targets']) or '-'}; requires {describe(row['requires'])}",
        ]
        for a in row["approvals"]:
            lines.append(
                f"  {a['decision']} by {a['approver']} ({a['role'] or 'no role'}) on "
                f"{format_value(a['at'])}: {a['reason'] or '-'}"
            )
        for u in row["uses"]:
            lines.append(f"  used for {u['target']} by {u['used_by']} on {format_value(u['at'])}")
        for line in lines:
            console.print(escape(line), soft_wrap=True)

    emit(row, as_json, render)


@app.command("request")
def request(
    ref: str = RefArg,
    alias: str | None = typer.Option(None, "--alias", help="The protected alias to move."),
    endpoint: str | None = typer.Option(None, "--endpoint", help="The protected endpoint."),
    reason: str = ReasonOption,
    as_json: bool = JsonOption,
) -> None:
    """Ask for a model version to be approved (for every protected alias of its model by
    default); people other than you decide."""
    model, version = _version(ref)
    asked = _approvals().request(model, version, alias=alias, endpoint=endpoint, reason=reason)
    emit(_json(asked), as_json, lambda: _said(asked, "Asked for"))


@app.command("approve")
def approve(
    ref: str = RefArg,
    reason: str = ReasonOption,
    role: str | None = RoleOption,
    as_json: bool = JsonOption,
) -> None:
    """Approve a model version someone else asked for."""
    decided = _approvals().approve(*_version(ref), reason, role=role)
    emit(_json(decided), as_json, lambda: _said(decided, "Approved", decided=True))


@app.command("reject")
def reject(
    ref: str = RefArg,
    reason: str = ReasonOption,
    role: str | None = RoleOption,
    as_json: bool = JsonOption,
) -> None:
    """Reject a model version: its protected moves stay refused."""
    decided = _approvals().reject(*_version(ref), reason, role=role)
    emit(_json(decided), as_json, lambda: _said(decided, "Rejected", decided=True))


@protections_app.command("add")
def protect(
    model: str | None = typer.Option(None, "--model", help="Model name pattern: churn*."),
    alias: str | None = typer.Option(None, "--alias", help="The protected alias: champion."),
    endpoint: str | None = typer.Option(None, "--endpoint", help="Endpoint name pattern."),
    require: list[str] = typer.Option(
        ..., "--require", help="ROLE or ROLE:COUNT (or any:COUNT) approvals; repeat for more."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Protect an alias of models (--model PATTERN --alias NAME) or an endpoint (--endpoint
    PATTERN); adding it again replaces what it requires."""
    from driftloop.errors import InvalidInputError
    from driftloop.governance._render import protection_json
    from driftloop.governance._requirements import parse_requirement

    requires: dict[str, int] = {}
    for text in require:
        role, count = parse_requirement(text)
        requires[role] = requires.get(role, 0) + count
    of_alias = endpoint is None and model is not None and alias is not None
    of_endpoint = endpoint is not None and model is None and alias is None
    if not (of_alias or of_endpoint):
        raise InvalidInputError(
            "name what to protect: --model PATTERN --alias NAME, or --endpoint PATTERN"
        )
    if endpoint is not None:
        made = _approvals().protect_endpoint(endpoint, requires)
    else:
        assert model is not None and alias is not None
        made = _approvals().protect_alias(model, alias, requires)
    row = protection_json(made)
    said = f"Protected {row['target']} (id {row['id']}): needs {row['requires_text']}."
    emit(row, as_json, lambda: console.print(escape(said)))


@protections_app.command("list")
def list_protections(as_json: bool = JsonOption) -> None:
    """Every protection and what it requires."""
    from driftloop.governance._render import protection_json

    rows = [protection_json(p) for p in _approvals().protections()]

    def render() -> None:
        table(
            f"{len(rows)} protection(s)",
            ["id", "protects", "requires", "by", "since"],
            [
                (r["id"], r["target"], r["requires_text"], r["created_by"], r["created_at"])
                for r in rows
            ],
        )

    emit(rows, as_json, render)


@protections_app.command("remove")
def unprotect(
    protection_id: int = typer.Argument(..., help="Protection id (see `protections list`)."),
    as_json: bool = JsonOption,
) -> None:
    """Remove a protection: what it held moves freely again."""
    from driftloop.governance._render import protection_json

    row = protection_json(_approvals().unprotect(protection_id))
    emit(row, as_json, lambda: console.print(f"Removed protection of {escape(row['target'])}."))
