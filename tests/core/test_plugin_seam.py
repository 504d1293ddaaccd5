"""The plugin seam is closed: tiers import only core's declared surface, core imports no tier,
and only ``workhorse.plugins`` reaches the plugin manager."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from workhorse.plugin_api import PROCESS_MODEL, TIER_SURFACE, may_import

ROOT = Path(__file__).resolve().parents[2]
TIERS = {
    "workhorse_pro": ROOT / "pro" / "src" / "workhorse_pro",
    "workhorse_enterprise": ROOT / "enterprise" / "src" / "workhorse_enterprise",
}
CORE = ROOT / "core" / "src" / "workhorse"
CORE_MODULES = {
    ".".join(p.relative_to(CORE.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in CORE.rglob("*.py")
}


def module_name(path: Path, package_dir: Path) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module an import in ``path`` names, at any depth (lazy and
    TYPE_CHECKING imports too); ``from pkg import sub`` counts as ``pkg.sub`` when
    ``sub`` is a module of core."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate in CORE_MODULES:
                    yield candidate


def core_imports_of(tier_dir: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(tier_dir.rglob("*.py")):
        importer = module_name(path, tier_dir)
        for name in imported_modules(path):
            if name == "workhorse" or name.startswith("workhorse."):
                yield importer, name


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_a_tier_imports_only_the_declared_core_surface(tier: str) -> None:
    leaks = sorted(
        f"{importer} imports {name}"
        for importer, name in core_imports_of(TIERS[tier])
        if name in CORE_MODULES and not may_import(importer, name)
    )
    assert not leaks, (
        "a paid tier reaches past core's plugin surface; use a hook or a module of "
        "workhorse.plugin_api.TIER_SURFACE (or declare it there, with why):\n" + "\n".join(leaks)
    )


def test_every_declared_module_exists() -> None:
    declared = TIER_SURFACE | set().union(*PROCESS_MODEL.values())
    assert not declared - CORE_MODULES


def test_core_imports_no_tier() -> None:
    tiers = tuple(TIERS)
    offenders = sorted(
        f"{module_name(path, CORE)} imports {name}"
        for path in CORE.rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(tiers)
    )
    assert not offenders


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_no_tier_reaches_the_plugin_manager(tier: str) -> None:
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in TIERS[tier].rglob("*.py")
        if "manager()" in (text := path.read_text(encoding="utf-8")) or ".hook." in text
    )
    assert not offenders, "fire hooks through workhorse.plugins' typed wrappers"


def test_the_allowlist_refuses_worker_internals_outside_the_swarm() -> None:
    assert may_import("workhorse_enterprise.swarm.child", "workhorse.worker.launcher")
    assert not may_import("workhorse_enterprise.limits.plugin", "workhorse.worker.launcher")
    assert not may_import("workhorse_enterprise.swarmish", "workhorse.worker.launcher")
    assert not may_import("workhorse_pro.reliable.fetch", "workhorse.worker.processor")
