"""Two import directions the package layout promises, checked on the source (no imports run):
the TUI never imports the CLI commands (both call the lower layers), and a quote's parts never
import the quote builder (build uses parts, not the reverse)."""

from __future__ import annotations

import ast
from pathlib import Path

ADVISOR = Path(__file__).resolve().parent.parent / "advisor"


def imported_modules(path: Path) -> set[str]:
    """Every module an `import` or `from … import` in `path` names, lazy ones inside functions too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_tui_does_not_import_the_cli_commands() -> None:
    offenders = {str(path.relative_to(ADVISOR)): sorted(m for m in imported_modules(path)
                                                        if m == "advisor.commands" or m.startswith("advisor.commands."))
                 for path in (ADVISOR / "tui").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_quote_parts_do_not_import_the_quote_builder() -> None:
    assert not {m for m in imported_modules(ADVISOR / "quote" / "parts.py") if m.startswith("advisor.quote.build")}
