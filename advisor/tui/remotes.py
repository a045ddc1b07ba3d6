"""Remote catalogs in the app: what to refresh, the refresh itself, and its outcome as text.

`RemoteSource` is injected into `AdvisorApp` like the World loader (`run_app` builds it from the
command line; tests point it at a loopback server). `refresh` is the body of the app's background
worker: it revalidates every listed catalog (`advisor.catalog.remote.sync.sync`; the network only when
not offline, and httpx is imported there, lazily, so never on the UI thread) and, when a catalog
changed, reloads the World from the fresh cache. `remote_text` and `summary` render the results.
Must not import textual or httpx.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from advisor.catalog.world import World
from advisor.errors import AdvisorError
from advisor.export.terminal import safe_text

if TYPE_CHECKING:
    from advisor.catalog.remote.sync import RemoteResult, RemoteSpec

FAILED = "failed"  # not a remote_sync status: no cached copy and the refresh failed
_QUIET = {"fresh", "updated", "not-modified", "offline"}  # statuses that need no warning


@dataclass(frozen=True)
class RemoteSource:
    """Where the app's remote catalogs come from."""

    specs: Callable[[], Sequence[RemoteSpec]]  # the listed catalogs (reads the config files)
    reload: Callable[[], World]  # the World again, remote catalogs from the cache only
    offline: bool = False  # --offline: report the cached copies, never ask the network


@dataclass(frozen=True)
class Refreshed:
    """What one refresh found; `world` is set only when a catalog changed and reloading worked."""

    results: tuple[RemoteResult, ...]
    world: World | None = None
    error: str = ""  # listing or reloading failed; the app keeps the World it has


def refresh(source: RemoteSource) -> Refreshed:
    """Revalidate every listed catalog (blocking: network I/O), then reload if one changed."""
    from advisor.catalog.remote import sync as remote_sync

    try:
        specs = source.specs()
    except AdvisorError as err:
        return Refreshed((), error=err.message)
    results = tuple(_sync_one(spec, source.offline) for spec in specs)
    if not any(r.status == remote_sync.UPDATED for r in results):
        return Refreshed(results)
    try:
        return Refreshed(results, world=source.reload())
    except AdvisorError as err:
        return Refreshed(results, error=f"updated catalogs could not be loaded: {err.message}")


def _sync_one(spec: RemoteSpec, offline: bool) -> RemoteResult:
    # One catalog at a time (sync_all would stop at the first one with no copy to fall back on).
    from advisor.catalog.remote.sync import RemoteResult, sync

    try:
        return sync(spec, offline=offline)
    except AdvisorError as err:
        return RemoteResult(spec, FAILED, warning=err.message)


def age_text(result: RemoteResult) -> str:
    """'confirmed 3 h ago', or 'no copy' when nothing is cached."""
    from advisor.catalog.remote.cache import format_age

    if result.meta is None:
        return "no copy"
    return f"confirmed {format_age(result.meta.checked_age_s())} ago"


def remote_text(results: Sequence[RemoteResult]) -> Text:
    """The 'Remote catalogs' section of the team-config view: URL, status, age, warning."""
    text = Text("Remote catalogs\n", style="bold")
    for result in results:
        style = "green" if result.status in _QUIET else "yellow"
        text.append(f"  {result.status:<13}", style=style).append(safe_text(result.spec.url))
        text.append(f"  {age_text(result)}\n", style="dim")
        if result.warning:
            text.append(f"    {safe_text(result.warning)}\n", style="yellow")
    return text


def summary(refreshed: Refreshed) -> tuple[str, str]:
    """(message, severity) for the notification after a refresh."""
    lines = [f"{r.status}: {safe_text(r.spec.url)}" for r in refreshed.results]
    lines += [f"⚠ {safe_text(r.warning)}" for r in refreshed.results if r.warning]
    if refreshed.world is not None:
        lines.append("Quote updated with the new catalogs.")
    if refreshed.error:
        lines.append(f"⚠ {safe_text(refreshed.error)}")
    quiet = all(r.status in _QUIET and not r.warning for r in refreshed.results)
    severity = "error" if refreshed.error else "information" if quiet else "warning"
    return "\n".join(lines), severity
