"""Messages the TUI's widgets and workers post: form edits, finished quotes, chart data.

Worker threads only post these (thread-safe); the screen that receives them updates widgets
on the UI thread. Imports textual; nothing else in the project may import this module.
"""

from __future__ import annotations

from textual.message import Message

from advisor.quote.build import Quote
from advisor.quote.sweep import Floor, Sweep
from advisor.tui.form import FormValues
from advisor.tui.remotes import Refreshed


class FormChanged(Message):
    """The workload form changed; `immediate` for picks (no debounce), not for typing."""

    def __init__(self, values: FormValues, *, immediate: bool) -> None:
        super().__init__()
        self.values = values
        self.immediate = immediate


class QuoteReady(Message):
    """A quote for form generation `generation` is ready."""

    def __init__(self, generation: int, quote: Quote) -> None:
        super().__init__()
        self.generation = generation
        self.quote = quote


class QuoteFailed(Message):
    """The form could not become a quote (unknown model, context too long …)."""

    def __init__(self, generation: int, message: str) -> None:
        super().__init__()
        self.generation = generation
        self.message = message


class SweepReady(Message):
    """Curves for the charts, for the quote and offerings named by `key`."""

    def __init__(self, key: tuple[int, tuple[str, ...]], sweeps: list[Sweep]) -> None:
        super().__init__()
        self.key = key
        self.sweeps = sweeps


class FloorsReady(Message):
    """The VRAM-floor table for one context length."""

    def __init__(self, context: int, floors: list[Floor]) -> None:
        super().__init__()
        self.context = context
        self.floors = floors


class RemotesRefreshed(Message):
    """The background refresh of remote catalogs finished (statuses, maybe a reloaded World)."""

    def __init__(self, refreshed: Refreshed) -> None:
        super().__init__()
        self.refreshed = refreshed
