"""The layering contract: which package of `advisor` may import which, checked over every import
statement in the source (module level and inside functions alike), plus the third-party
libraries each layer may touch. The README's architecture table is this table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"

# Package -> the advisor packages it may import (besides itself). The order is the flow:
# data in (catalog) -> search -> quote -> export -> front ends.
# `errors`, `files` (bounded reads, atomic writes) and `shorthands` are leaves any layer may use.
LEAVES = {"errors", "files", "shorthands"}
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "files": {"errors"},
    "shorthands": {"errors"},
    "domain": {"errors"},
    "core": {"domain", "errors"},
    "catalog": {"domain", "core", "errors", "shorthands"},
    "calibration": {"catalog", "domain", "core", "errors", "shorthands"},
    "search": {"catalog", "domain", "core", "errors", "shorthands"},
    "quote": {"search", "catalog", "domain", "core", "errors", "shorthands"},
    "export": {"quote", "search", "catalog", "domain", "core", "errors", "shorthands"},
    "commands": {"export", "quote", "search", "calibration", "catalog", "domain", "core",
                 "errors", "shorthands"},
    "tui": {"export", "quote", "search", "catalog", "domain", "core", "errors", "shorthands"},
    "cli": {"commands", "tui", "catalog", "export", "errors"},
    "__main__": {"cli"},
}

# Third-party libraries and the only modules (prefixes) that may import them.
EXTERNAL_OWNERS: dict[str, tuple[str, ...]] = {
    "textual": ("advisor.tui",),
    "httpx": ("advisor.catalog.remote.fetch",),
    "pint": ("advisor.domain.units",),
    "rich": ("advisor.export", "advisor.commands", "advisor.tui", "advisor.cli"),
    "pickle": (),
}


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported(tree: ast.Module, module: str) -> Iterator[str]:
    """Every module name an import statement in `tree` names (relative imports resolved)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(module.split(".")[: -node.level] + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "advisor":
        return None
    return parts[1] if len(parts) > 1 else ""


def _edges() -> list[tuple[str, str, str]]:
    """(importing module, its package, imported advisor package) for every internal import."""
    found = []
    for module, tree in modules():
        source = package_of(module)
        for name in imported(tree, module):
            target = package_of(name)
            if target and source is not None and target != source and (PACKAGE / target).exists() | (
                    (PACKAGE / f"{target}.py").exists()):
                found.append((module, source, target))
    return found


def test_every_package_is_in_the_table() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert packages == set(MAY_IMPORT)


def test_packages_import_only_what_the_table_allows() -> None:
    broken = sorted({f"{module} imports advisor.{target}" for module, source, target in _edges()
                     if source and target not in MAY_IMPORT[source] | (LEAVES - {source})})
    assert broken == []


def test_a_quotes_parts_do_not_import_the_quote_builder() -> None:
    parts = dict(modules())["advisor.quote.parts"]
    assert not [name for name in imported(parts, "advisor.quote.parts") if name.startswith("advisor.quote.build")]


def test_the_package_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for _, source, target in _edges():
        graph.setdefault(source, set()).add(target)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        assert node not in visiting, " -> ".join([*visiting[visiting.index(node):], node])
        if node in done:
            return
        visiting.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        visiting.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)


@pytest.mark.parametrize("library", sorted(EXTERNAL_OWNERS))
def test_third_party_libraries_stay_in_their_layer(library: str) -> None:
    owners = EXTERNAL_OWNERS[library]
    users = sorted({module for module, tree in modules() for name in imported(tree, module)
                    if name.split(".")[0] == library and not module.startswith(owners)})
    assert users == []


def test_the_contract_sees_lazy_imports() -> None:
    tree = ast.parse("def f():\n    from advisor.tui import app\n")
    assert "advisor.tui" in set(imported(tree, "advisor.cli"))
