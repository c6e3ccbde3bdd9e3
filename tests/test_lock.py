"""uv.lock is what every install uses (make, CI, bench): it must ask for exactly what the
pyproject files ask for, and the environment the tests run in must hold the locked versions."""

import importlib.metadata
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# name, extras, specifier, the optional-dependencies group it belongs to ("" for none)
Dep = tuple[str, frozenset[str], str, str]


def _lock() -> dict[str, Any]:
    return tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))


def _declared(pyproject: Path) -> set[Dep]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = {"": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    return {
        (canonicalize_name(r.name), frozenset(r.extras), str(r.specifier), group)
        for group, texts in groups.items()
        for r in map(Requirement, texts)
    }


def _locked(package: dict[str, Any]) -> set[Dep]:
    deps = set()
    for d in package["metadata"].get("requires-dist", []):
        group = re.search(r"extra == '([^']+)'", d.get("marker", ""))
        deps.add(
            (
                canonicalize_name(d["name"]),
                frozenset(d.get("extras", [])),
                str(SpecifierSet(d.get("specifier", ""))),
                group.group(1) if group else "",
            )
        )
    return deps


@pytest.mark.parametrize(
    ("name", "pyproject"),
    [("colletta", "pyproject.toml"), ("colletta-sdk", "sdk/pyproject.toml")],
)
def test_lock_matches_pyproject(name: str, pyproject: str) -> None:
    packages = {p["name"]: p for p in _lock()["package"]}
    assert name in packages, f"uv.lock does not cover {name}: run `make lock`"
    declared, locked = _declared(ROOT / pyproject), _locked(packages[name])
    assert declared == locked, (
        f"{pyproject} and uv.lock disagree (run `make lock` and commit uv.lock): "
        f"only in {pyproject}: {sorted(map(str, declared - locked))}; "
        f"only in uv.lock: {sorted(map(str, locked - declared))}"
    )


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for p in _lock()["package"]:
        if "registry" not in p["source"]:
            continue  # colletta and colletta-sdk themselves, editable from this tree
        files = [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])]
        assert files, p["name"]
        assert all(f["hash"].startswith("sha256:") for f in files), p["name"]


def test_environment_holds_the_locked_versions() -> None:
    """A stale or hand-edited .venv would test other code than the one users install."""
    versions: dict[str, set[str]] = {}
    for p in _lock()["package"]:
        versions.setdefault(canonicalize_name(p["name"]), set()).add(p["version"])
    differ = {}
    for name, locked in versions.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # locked for another platform or Python (colorama, async-timeout …)
        if installed not in locked:
            differ[name] = (installed, sorted(locked))
    assert importlib.metadata.version("fastapi") in versions["fastapi"]
    assert not differ, (
        f"installed (version, locked): {differ}; re-sync: `rm .venv/.*-installed; make test`"
    )
