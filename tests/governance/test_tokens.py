"""API tokens on a real metadata store (SQLite, and PostgreSQL when configured): shown once,
stored as a salted hash, refused at once when revoked, expired or their user disabled."""

from __future__ import annotations

import ast
import hashlib
import inspect
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

import driftloop as dl
from driftloop.errors import AuthenticationError
from driftloop.governance import (
    GovernanceService,
    Principal,
    RoleBinding,
    TokenAuthenticator,
    _authenticator,
    _tokens,
)
from driftloop.store._governance_rows import TokenRow


class Clocks:
    """Wall time and a monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        self.mono = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def service(workspace: dl.Workspace, clocks: Clocks) -> GovernanceService:
    auth = TokenAuthenticator(workspace.store, clock=clocks.wall, monotonic=clocks.monotonic)
    gov = GovernanceService(workspace.store, "operator", authenticator=auth, clock=clocks.wall)
    gov.add_user("ana", ["data_scientist:churn-*", "viewer"], display_name="Ana")
    return gov


def test_a_token_authenticates_its_user_with_their_roles(service: GovernanceService) -> None:
    issued = service.create_token("laptop", user="ana")
    assert issued.text.startswith(f"dlt_{issued.token.id}_")
    assert "dlt_" not in repr(issued)  # a repr (a log line) never shows the text
    principal = service.authenticate(issued.text)
    assert principal == Principal(
        "ana", (RoleBinding("data_scientist", "churn-*"), RoleBinding("viewer")), False
    )
    assert service.authenticate(f"  {issued.text}\n") == principal  # pasted with spaces


def test_a_token_is_refused_once_it_expires(service: GovernanceService, clocks: Clocks) -> None:
    issued = service.create_token("ci", user="ana", expires_in=timedelta(hours=1))
    assert issued.token.expires_at == clocks.now + timedelta(hours=1)
    service.authenticate(issued.text)
    clocks.advance(3599)
    service.authenticate(issued.text)
    clocks.advance(1)
    with pytest.raises(AuthenticationError, match=f"token {issued.token.id} expired on"):
        service.authenticate(issued.text)
    assert [t.state(clocks.now) for t in service.list_tokens("ana")] == ["expired"]


def test_a_revocation_bites_within_a_second_in_another_process(
    workspace: dl.Workspace, service: GovernanceService, clocks: Clocks
) -> None:
    issued = service.create_token("laptop", user="ana")
    service.authenticate(issued.text)  # cached now
    # Another process: its own engine, and so its own sessions; the same database.
    other = dl.Workspace(workspace.root, db_url=workspace.settings.db_url)
    try:
        other.governance.revoke_token(issued.token.id)
    finally:
        other.close()
    clocks.advance(0.5)
    service.authenticate(issued.text)  # still inside the cache's second: allowed
    clocks.advance(0.5)
    with pytest.raises(AuthenticationError, match=f"token {issued.token.id} was revoked"):
        service.authenticate(issued.text)


def test_a_revocation_bites_within_a_second_of_real_time(workspace: dl.Workspace) -> None:
    ana = workspace.governance
    ana.add_user("ana", ["viewer"])
    issued = ana.create_token("laptop", user="ana")
    server = TokenAuthenticator(workspace.store)  # a server process's cache
    server.authenticate(issued.text)
    other = dl.Workspace(workspace.root, db_url=workspace.settings.db_url)
    try:
        other.governance.revoke_token(issued.token.id)
        revoked_at = time.monotonic()
    finally:
        other.close()
    while True:
        try:
            server.authenticate(issued.text)
        except AuthenticationError:
            break
        time.sleep(0.01)
    assert time.monotonic() - revoked_at <= 1.0


def test_the_process_that_revokes_refuses_at_once(service: GovernanceService) -> None:
    issued = service.create_token("laptop", user="ana")
    service.authenticate(issued.text)
    service.revoke_token(issued.token.id)
    with pytest.raises(AuthenticationError, match="was revoked"):
        service.authenticate(issued.text)
    again = service.revoke_token(issued.token.id)  # harmless, keeps the first revocation
    assert again.revoked_by == "operator"


def test_a_disabled_user_s_tokens_are_refused_until_enabled(
    service: GovernanceService, clocks: Clocks
) -> None:
    issued = service.create_token("laptop", user="ana")
    service.authenticate(issued.text)
    service.disable_user("ana")
    with pytest.raises(AuthenticationError, match="user 'ana' is disabled"):
        service.authenticate(issued.text)
    service.enable_user("ana")
    assert service.authenticate(issued.text).name == "ana"


def test_a_role_change_reaches_the_principal_within_a_second(
    service: GovernanceService, clocks: Clocks
) -> None:
    issued = service.create_token("laptop", user="ana")
    service.authenticate(issued.text)
    service.grant("ana", "ml_architect")
    assert RoleBinding("ml_architect") in service.authenticate(issued.text).roles


def test_a_wrong_secret_with_a_right_id_is_refused_like_an_unknown_token(
    service: GovernanceService,
) -> None:
    issued = service.create_token("laptop", user="ana")
    token_id = issued.token.id
    secret = issued.text.split("_", 2)[2]
    wrong = f"dlt_{token_id}_{'A' * len(secret)}"
    unknown = f"dlt_{'0' * 16}_{secret}"
    messages = []
    for text in (wrong, unknown):
        with pytest.raises(AuthenticationError) as refused:
            service.authenticate(text)
        messages.append(str(refused.value))
        assert secret not in str(refused.value) and "AAAA" not in str(refused.value)
    assert messages[0] == messages[1]  # nothing tells a known id from an unknown one


@pytest.mark.parametrize("text", ["", "Bearer x", "dlt_zz_secret", "ghp_" + "a" * 40, "dlt_1_2_3"])
def test_what_is_not_a_driftloop_token_is_refused_without_echoing_it(
    service: GovernanceService, text: str
) -> None:
    with pytest.raises(AuthenticationError) as refused:
        service.authenticate(text)
    assert "not a driftloop API token" in str(refused.value)
    if text:
        assert text not in str(refused.value)


def test_secrets_are_compared_in_constant_time() -> None:
    # By construction: the one comparison of a hash is hmac.compare_digest, and no module
    # that handles secrets compares a secret or a hash with == or != (whose time depends
    # on where they first differ). SQL expressions on ids are not secrets.
    source = inspect.getsource(_tokens.secret_matches)
    assert "hmac.compare_digest(" in source
    for module in (_tokens, _authenticator):
        tree = ast.parse(inspect.getsource(module))
        compares = [
            ast.unparse(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.Compare)
            and any(isinstance(o, ast.Eq | ast.NotEq) for o in n.ops)
            and any(word in ast.unparse(n).lower() for word in ("secret", "hash", "salt"))
        ]
        assert compares == [], f"{module.__name__} compares with ==: {compares}"
    assert _tokens.secret_matches("s3cret", "00" * 16, _tokens.hash_secret("00" * 16, "s3cret"))
    assert not _tokens.secret_matches("s3creT", "00" * 16, _tokens.hash_secret("00" * 16, "s3cret"))


def _dump(workspace: dl.Workspace) -> str:
    """Every row of every table, as text."""
    meta = MetaData()
    meta.reflect(workspace.store.engine)
    with workspace.store.engine.connect() as conn:
        return "\n".join(
            repr(row) for table in meta.sorted_tables for row in conn.execute(select(table))
        )


def test_tokens_are_never_stored_in_clear(
    workspace: dl.Workspace, service: GovernanceService
) -> None:
    issued = [service.create_token(f"t{i}", user="ana") for i in range(3)]
    for each in issued:
        service.authenticate(each.text)
    dump = _dump(workspace)
    files = b""
    url = make_url(workspace.settings.db_url)
    if url.get_backend_name() == "sqlite":
        database = Path(str(url.database))
        files = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for each in issued:
        secret = each.text.split("_", 2)[2]
        assert secret not in dump and each.text not in dump
        assert secret.encode() not in files
        with workspace.store.read() as session:
            row = session.scalars(select(TokenRow).where(TokenRow.id == each.token.id)).one()
        salted = hashlib.sha256(bytes.fromhex(row.salt) + secret.encode()).hexdigest()
        assert row.secret_hash == salted and len(row.salt) == 32
        assert salted in dump  # the dump did read the tokens


def test_last_used_is_written_at_most_once_a_minute(
    workspace: dl.Workspace, service: GovernanceService, clocks: Clocks
) -> None:
    issued = service.create_token("laptop", user="ana")

    def last_used() -> datetime | None:
        (token,) = service.list_tokens("ana")
        return token.last_used_at

    assert last_used() is None
    start = clocks.now
    service.authenticate(issued.text)
    assert last_used() == start
    clocks.advance(59)
    service.authenticate(issued.text)
    assert last_used() == start
    clocks.advance(2)
    service.authenticate(issued.text)
    assert last_used() == start + timedelta(seconds=61)


def test_no_cache_may_outlive_a_second(workspace: dl.Workspace) -> None:
    with pytest.raises(ValueError, match="a revocation must bite within 1 s"):
        TokenAuthenticator(workspace.store, ttl=5)
