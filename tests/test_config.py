from __future__ import annotations

from pathlib import Path

import pytest

import driftloop as dl
from driftloop.config import find_workspace_root, load_settings


def test_init_creates_config_and_state_folder(tmp_path: Path) -> None:
    ws = dl.init_workspace(tmp_path / "proj")
    assert (tmp_path / "proj" / "driftloop.toml").is_file()
    assert (tmp_path / "proj" / ".driftloop" / "driftloop.db").is_file()
    ws.close()


def test_workspace_is_found_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl.init_workspace(tmp_path).close()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_workspace_root() == tmp_path.resolve()
    assert load_settings().root == tmp_path.resolve()


def test_precedence_argument_over_env_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl.init_workspace(tmp_path).close()
    (tmp_path / "driftloop.toml").write_text(
        '[workspace]\ndb_url = "sqlite:///from-file.db"\nartifact_url = "file:///from-file"\n'
    )
    monkeypatch.setenv("DRIFTLOOP_ARTIFACT_URL", "file:///from-env")
    settings = load_settings(tmp_path, online_url="sqlite:///from-arg.db")
    assert settings.db_url == "sqlite:///from-file.db"
    assert settings.artifact_url == "file:///from-env"
    assert settings.online_url == "sqlite:///from-arg.db"
    assert settings.user  # default
    assert settings.sources == {
        "db_url": "driftloop.toml",
        "artifact_url": "environment",
        "online_url": "argument",
        "user": "default",
    }
    monkeypatch.setenv("DRIFTLOOP_DB_URL", "sqlite:///from-env.db")
    assert load_settings(tmp_path, db_url="sqlite:///arg.db").db_url == "sqlite:///arg.db"
    assert load_settings(tmp_path).db_url == "sqlite:///from-env.db"


def test_driftloop_home_selects_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dl.init_workspace(tmp_path / "elsewhere").close()
    monkeypatch.setenv("DRIFTLOOP_HOME", str(tmp_path / "elsewhere"))
    assert load_settings().root == (tmp_path / "elsewhere").resolve()


def test_bad_toml_and_unknown_keys_are_named(tmp_path: Path) -> None:
    (tmp_path / "driftloop.toml").write_text("[workspace\n")
    with pytest.raises(dl.InvalidInputError, match="not valid TOML"):
        load_settings(tmp_path)
    (tmp_path / "driftloop.toml").write_text('[workspace]\ndb_ur = "x"\n')
    with pytest.raises(dl.InvalidInputError, match=r"unknown setting\(s\) \['db_ur'\]"):
        load_settings(tmp_path)


def test_settings_file_names_the_file_the_key_and_the_value(tmp_path: Path) -> None:
    config = tmp_path / "driftloop.toml"
    config.write_text('[workspace]\ndb_url = 5\nartifact_url = "file:///a"\ncolour = "red"\n')
    with pytest.raises(dl.InvalidInputError) as info:
        load_settings(tmp_path)
    message = str(info.value)
    assert str(config) in message
    assert "unknown setting(s) ['colour'] in [workspace]" in message
    assert "db_url = 5 (must be a string)" in message
    assert "allowed: ['artifact_url', 'db_url', 'online_url', 'user']" in message
    config.write_text('workspace = "sqlite:///x.db"\n')
    with pytest.raises(dl.InvalidInputError, match=r"'workspace' must be a table"):
        load_settings(tmp_path)
    config.write_text('[workspace]\nuser = "ana"\n\n[other]\nkept = 1\n')
    assert load_settings(tmp_path).user == "ana"


def test_no_workspace_error_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(dl.NotFoundError, match="driftloop init"):
        load_settings()


def test_api_outside_a_workspace_creates_one_and_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dl.log_param("a", 1)
    dl.log_param("b", 2)
    dl.end_run()
    err = capsys.readouterr().err
    assert err.count("created one in") == 1
    assert (tmp_path / "driftloop.toml").is_file()
    assert len(dl.search_runs()) == 1
