"""Input-to-table latency of the TUI, measured with Pilot on the built-in data.

    .venv/bin/python benchmarks/bench_tui.py [--changes 20] [--screenshot docs/screenshot-main.svg]

Drives the app headless at 160×45: sets the concurrency field to a new value (as the last
keystroke of a typed number would), and times until the results table shows the quote for that
value. Distinct values, so the app's small quote cache never answers. Also times the same
requests through `build_request` + `build_quote` alone (the CLI path, no UI) and a model switch
from the picker (no debounce), so the UI's own share is visible. Target: median < 100 ms.
Prints numbers only; no assertion (timings do not belong in tests).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor.catalog.config import load_world
from advisor.quote.build import build_quote
from advisor.search.request import build_request
from advisor.tui.app import AdvisorApp
from advisor.tui.screens.main import DEBOUNCE_S, MainScreen

SIZE = (160, 45)
POLL_S = 0.02  # only to notice completion; the time is stamped inside the table


async def settle(app: AdvisorApp) -> MainScreen:
    while app.main_screen is None or app.main_screen.quote is None or app.main_screen.busy:
        await asyncio.sleep(0.01)
    await app.workers.wait_for_complete()
    return app.main_screen


def stamp_table_updates(main: MainScreen) -> list[float]:
    """Record the moment the table is refilled (wraps this table's `show`; no polling error)."""
    stamps: list[float] = []
    show = main.table.show

    def show_and_stamp(quote: object, marks: object = None) -> None:
        show(quote, marks)  # type: ignore[arg-type]
        stamps.append(time.perf_counter())

    main.table.show = show_and_stamp  # type: ignore[method-assign]
    return stamps


async def time_changes(values: list[str], field: str) -> list[float]:
    """Seconds from setting `field` to each value to the refilled table."""
    world = load_world(discover=False)
    app = AdvisorApp(loader=lambda: world)
    found: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(app)
        stamps = stamp_table_updates(main)
        for value in values:
            target = main.generation + 1
            count = len(stamps)
            started = time.perf_counter()
            main.set_field(field, value)
            while main.applied_generation < target or len(stamps) == count:
                await asyncio.sleep(POLL_S)
            found.append(stamps[-1] - started)
            await pilot.pause()
    return found


def time_core(concurrencies: list[int]) -> list[float]:
    world = load_world(discover=False)
    found = []
    for users in concurrencies:
        started = time.perf_counter()
        build_quote(build_request(world, model="llama-3.1-70b", concurrency=users), world)
        found.append(time.perf_counter() - started)
    return found


async def save_main_screenshot(path: str) -> None:
    """The README's picture: the main screen for llama-3.1-70b at concurrency 64, table focused."""
    from advisor.tui.form import FormValues

    world = load_world(discover=False)
    app = AdvisorApp(loader=lambda: world, initial=FormValues(model="llama-3.1-70b", texts={"concurrency": "64"}))
    async with app.run_test(size=SIZE) as pilot:
        main = await settle(app)
        main.table.focus()
        await pilot.pause(0.2)
        app.save_screenshot(Path(path).name, str(Path(path).parent))
    print(f"wrote {path}")


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1e3 for s in seconds)
    print(f"{name:<44} median {statistics.median(ms):7.1f} ms   min {ms[0]:6.1f}   max {ms[-1]:6.1f}   "
          f"(n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--screenshot", metavar="SVG", help="also save the main screen there")
    args = parser.parse_args()
    if args.screenshot:
        asyncio.run(save_main_screenshot(args.screenshot))
    concurrencies = [8 + 3 * i for i in range(args.changes)]
    models = ["llama-3.1-8b", "qwen3-32b", "mistral-7b-v0.1", "gemma-2-27b", "qwen2.5-72b", "llama-3.3-70b",
              "qwen3-8b", "phi-3-medium-4k", "gemma-2-9b", "llama-2-13b"]  # distinct: no cache hits
    print(f"debounce: {DEBOUNCE_S * 1e3:.0f} ms, only for edits arriving while a quote is in flight (not here)")
    report("type a concurrency -> table updated", asyncio.run(time_changes([str(c) for c in concurrencies],
                                                                           "concurrency")))
    report("pick a model -> table updated", asyncio.run(time_changes(models, "model")))
    report("build_request + build_quote alone (no UI)", time_core(concurrencies))
    print("the UI's own share = first line − third line (table refill, details, messages)")


if __name__ == "__main__":
    main()
