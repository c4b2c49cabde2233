"""The role matrix, cell by cell: every (role, action, kind) is allowed or refused exactly
as the table below says, and a refusal names the permission missing and who has it.

The table is written out here, not computed from ``_roles.py``: changing a role's
permissions must change this file too, on purpose.
"""

from __future__ import annotations

import pytest

from driftloop.errors import InvalidInputError, PermissionDeniedError
from driftloop.governance import (
    ROLES,
    Action,
    Kind,
    Principal,
    RoleBinding,
    allowed,
    require,
    roles_with,
)
from driftloop.governance._permissions import parse_binding

# r read, w write, d delete, a approve, D deploy, p predict, m manage; - nothing
KINDS = {
    "data": Kind.DATASET,
    "feat": Kind.FEATURE_VIEW,
    "exp": Kind.EXPERIMENT,
    "model": Kind.MODEL,
    "pipe": Kind.PIPELINE,
    "endp": Kind.ENDPOINT,
    "mon": Kind.MONITOR,
    "loop": Kind.LOOP,
    "user": Kind.USER,
    "audit": Kind.AUDIT,
}
EXPECTED = """
role                   data feat exp model pipe endp  mon loop user audit
viewer                 r    r    r   r     r    r     r   r    -    -
subject_matter_expert  r    r    r   ra    r    r     r   ra   r    r
data_analyst           rw   r    r   r     r    r     r   r    -    -
data_engineer          rwd  rwd  r   r     rwd  r     r   r    -    -
data_scientist         rw   r    rwd rwd   rw   r     r   r    -    -
software_engineer      r    r    r   r     r    rp    r   r    -    -
ml_architect           r    rwd  r   ra    rwd  r     r   rwda -    -
devops_engineer        r    r    r   ra    r    rdDpm rwd rwda rm   r
admin                  *    *    *   *     *    *     *   *    *    *
"""
LETTERS = {
    "r": Action.READ,
    "w": Action.WRITE,
    "d": Action.DELETE,
    "a": Action.APPROVE,
    "D": Action.DEPLOY,
    "p": Action.PREDICT,
    "m": Action.MANAGE,
}


def _expected() -> dict[str, dict[Kind, set[Action]]]:
    header, *rows = [line.split() for line in EXPECTED.strip().splitlines()]
    kinds = [KINDS[k] for k in header[1:]]
    table: dict[str, dict[Kind, set[Action]]] = {}
    for role, *cells in rows:
        table[role] = {
            kind: set(Action) if cell == "*" else {LETTERS[c] for c in cell if c in LETTERS}
            for kind, cell in zip(kinds, cells, strict=True)
        }
    return table


def test_the_table_names_every_role_and_only_them() -> None:
    assert list(_expected()) == list(ROLES)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_cell_of_the_matrix_is_allowed_or_refused_as_written(role: str) -> None:
    expected = _expected()[role]
    principal = Principal("pat", (RoleBinding(role),))
    for kind in Kind:
        for action in Action:
            should = action in expected[kind]
            assert allowed(principal, action, kind, "churn") is should, (role, action, kind)
            if should:
                require(principal, action, kind, "churn")
                continue
            with pytest.raises(PermissionDeniedError) as refused:
                require(principal, action, kind, "churn")
            holders = [r for r, cells in _expected().items() if action in cells[kind]]
            assert str(refused.value) == (
                f"pat ({role}) may not {action.value} {kind.value} 'churn': needs "
                f"{action.value} on {kind.value}; roles with it: {', '.join(holders)}"
            )
            assert roles_with(action, kind) == holders


def test_the_design_note_s_example_message() -> None:
    ana = Principal("ana", (RoleBinding("data_scientist"),))
    with pytest.raises(PermissionDeniedError, match=r"^ana \(data_scientist\) may not deploy"):
        require(ana, Action.DEPLOY, Kind.ENDPOINT, "churn")
    with pytest.raises(PermissionDeniedError) as refused:
        require(ana, Action.DEPLOY, Kind.ENDPOINT, "churn")
    assert str(refused.value) == (
        "ana (data_scientist) may not deploy endpoint 'churn': needs deploy on endpoint; "
        "roles with it: devops_engineer, admin"
    )


def test_no_roles_means_nothing_is_allowed() -> None:
    nobody = Principal("guest")
    assert not any(allowed(nobody, a, k, "x") for a in Action for k in Kind)
    with pytest.raises(PermissionDeniedError, match=r"guest \(no roles\) may not read"):
        require(nobody, Action.READ, Kind.DATASET, "flights")


def test_a_role_nobody_defined_grants_nothing() -> None:
    ghost = Principal("old", (RoleBinding("superuser"),))
    assert not allowed(ghost, Action.READ, Kind.MODEL, "churn")


def test_patterns_scope_a_role_to_matching_names() -> None:
    ana = Principal("ana", (RoleBinding("data_scientist", "churn-*"), RoleBinding("viewer")))
    assert allowed(ana, Action.WRITE, Kind.MODEL, "churn-eu")
    assert not allowed(ana, Action.WRITE, Kind.MODEL, "fraud")
    assert allowed(ana, Action.READ, Kind.MODEL, "fraud")  # viewer for every name
    assert not allowed(ana, Action.WRITE, Kind.MODEL, "Churn-eu")  # case-sensitive everywhere
    assert allowed(ana, Action.WRITE, Kind.MODEL)  # some model: the kind as a whole
    with pytest.raises(PermissionDeniedError) as refused:
        require(ana, Action.WRITE, Kind.MODEL, "fraud")
    assert "(data_scientist:churn-*, viewer)" in str(refused.value)
    assert "their data_scientist for 'churn-*' does not cover 'fraud'" in str(refused.value)


def test_bindings_read_role_colon_pattern_and_refuse_unknown_roles() -> None:
    assert parse_binding("data_scientist:churn-*") == RoleBinding("data_scientist", "churn-*")
    assert parse_binding("viewer") == RoleBinding("viewer", "*")
    with pytest.raises(InvalidInputError, match="role 'wizard' does not exist; roles are viewer"):
        parse_binding("wizard")
    with pytest.raises(InvalidInputError, match="name pattern of role 'viewer'"):
        parse_binding("viewer:")
