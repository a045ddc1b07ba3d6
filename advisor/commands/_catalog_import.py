"""`advisor catalog import litellm FILE`: the LiteLLM price map as an `[[api_price]]` catalog file.

Reads the map (bounded: `advisor.catalog.litellm`), keeps the chat prices of models that have a
profile in the loaded world (built-ins and the team's), checks the file it makes like any
catalog file, and writes it to `-o FILE` atomically (never over a file without `--force`) or
to stdout. One summary line on stderr names how many prices and the unmatched entries.
Exit codes: 0 ok, 2 bad input (unreadable map, no price matched, bad date, unwritable output).
Must not import textual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "import hosted API prices (the LiteLLM price map) as an [[api_price]] catalog file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="model_prices_and_context_window.json from BerriAI/litellm, or - for stdin")
    parser.add_argument("-o", "--output", metavar="FILE", help="catalog file to write (default: stdout)")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    parser.add_argument("--as-of", metavar="DATE", help="date the map was read, YYYY-MM-DD (default: today)")
    parser.add_argument("--source", dest="price_source", metavar="TEXT",
                        help="where the map came from, e.g. its URL and commit (default: its file name)")


def run(args: argparse.Namespace) -> int:
    from advisor.catalog import litellm
    from advisor.catalog.config import world_from_args
    from advisor.shorthands import parse_date

    as_of = parse_date(args.as_of)
    price_map, sha256 = litellm.read_price_map(args.file)
    world = world_from_args(args)
    result = litellm.import_prices(price_map, world.models, sha256)
    litellm.refuse_empty(result, args.file)
    text = litellm.to_toml(result, args.price_source or litellm.default_source(args.file), as_of)
    _check(text, args.output or "stdout")
    if args.output:
        from advisor.export.write import write_atomic

        write_atomic(Path(args.output), text, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    print(f"advisor: {litellm.summary(result, args.file)}", file=sys.stderr)
    return 0


def _check(text: str, where: str) -> None:
    """The file made is a valid catalog file (as `advisor check` would read it)."""
    from advisor.catalog.loaders import load_catalog_bytes
    from advisor.catalog.toml_reader import raise_problems
    from advisor.errors import EXIT_BAD_INPUT

    raise_problems(list(load_catalog_bytes(text.encode("utf-8"), where).problems), EXIT_BAD_INPUT)
