"""Definitions check themselves and say what to fix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import driftloop as dl
from driftloop._refs import Ref
from driftloop.errors import InvalidInputError, NotFoundError, UserCodeError
from driftloop.features import load_definitions, open_online_store
from driftloop.features._models import parse_feature_refs

E = dl.Entity("e", ["k"])


def test_views_reject_bad_definitions() -> None:
    with pytest.raises(InvalidInputError, match="ttl but no timestamp"):
        dl.FeatureView("v", [E], "src", ttl=timedelta(hours=1), features=[dl.Feature("a")])
    with pytest.raises(InvalidInputError, match="duplicate column"):
        dl.FeatureView("v", [E], "src", features=[dl.Feature("a"), dl.Feature("a")])
    with pytest.raises(InvalidInputError, match="declares no features"):
        dl.FeatureView("v", [E], "src")
    with pytest.raises(InvalidInputError, match="not valid"):
        dl.Feature("bad name")


def test_spec_round_trips_and_digest_tracks_changes() -> None:
    view = dl.FeatureView("v", [E], "src", "ts", timedelta(hours=2), [dl.Feature("a", "bigint")])
    again = dl.FeatureView.from_spec(view.to_spec())
    assert again == view and again.digest() == view.digest()
    changed = dl.FeatureView("v", [E], "src", "ts", timedelta(hours=3), [dl.Feature("a", "bigint")])
    assert changed.digest() != view.digest()


def test_feature_references_are_parsed_in_order() -> None:
    assert parse_feature_refs(["w:a", "p:*", "w:b", "w:a"]) == {
        Ref("w"): ["a", "b"],
        Ref("p"): ["*"],
    }
    with pytest.raises(InvalidInputError, match="is not 'view:feature'"):
        parse_feature_refs(["temp"])


def test_feature_references_take_a_view_version() -> None:
    assert parse_feature_refs(["w@3:a", "w@3:b", "p@latest:*"]) == {
        Ref("w", 3): ["a", "b"],
        Ref("p"): ["*"],
    }
    for bad in ("w@:a", "@3:a", "w@0:a", "w@-1:a", "w@1@2:a", "bad name:a"):
        with pytest.raises(InvalidInputError, match=repr(bad.partition(":")[0])):
            parse_feature_refs([bad])
    with pytest.raises(InvalidInputError, match=r"version the view instead, e.g. 'w@2:a'"):
        parse_feature_refs(["w:a@2"])
    with pytest.raises(InvalidInputError, match=r"more than one version \(w@1, w@2\)"):
        parse_feature_refs(["w@1:a", "w@2:b"])
    with pytest.raises(NotFoundError, match=r"no alias 'prod'.*only the alias 'latest'"):
        parse_feature_refs(["w@prod:a"])


def test_loader_collects_definitions_and_wraps_user_errors(tmp_path: Path) -> None:
    good = tmp_path / "features.py"
    good.write_text(
        "from driftloop import Entity, Feature, FeatureView\n"
        "e = Entity('e', ['k'])\n"
        "views = [FeatureView('a', [e], 'src', features=[Feature('x')])]\n",
        encoding="utf-8",
    )
    entities, views = load_definitions(good)
    assert [e.name for e in entities] == ["e"] and [v.name for v in views] == ["a"]
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    with pytest.raises(UserCodeError, match="boom"):
        load_definitions(broken)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="defines no FeatureView"):
        load_definitions(empty)


def test_unknown_online_store_scheme_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInputError, match=r"sqlite:///.*redis://"):
        open_online_store("memcached://x")
