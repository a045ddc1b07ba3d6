"""`advisor catalog add|update|list|import`: manage remote catalogs; import public price feeds.

`import skypilot PATH|URL…` turns SkyPilot `vms.csv` feeds into offerings (the work is
`advisor.catalog.feeds.run`); it prints them, warns about left-out rows and odd prices on
stderr, and with `--write FILE` writes an ordinary team catalog atomically. `import litellm
FILE` turns the LiteLLM price map into API prices (`advisor.commands._catalog_import`).

`add` fetches and validates a URL, then appends a `[[remote]]` entry to the team config
(the nearest advisor.toml, or `--config`) atomically, leaving the rest of the file's text as
it was. `update` revalidates every listed catalog now. `list` shows each one's cached copy:
source, age, size, hash and status, without touching the network.
Exit codes: 0 ok, 2 bad input (URL refused, bad flag, unwritable config), 3 a listed catalog
has no usable copy or failed to refresh. Imports httpx (through `advisor.catalog.remote.fetch`) only when a
fetch is due. Must not import textual.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HELP = "remote catalogs: add a URL, update cached copies, list them; import price feeds and API prices"
IMPORT_HELP = "import a public price list: SkyPilot vms.csv feeds (offerings) or the LiteLLM map (API prices)"
SKYPILOT_HELP = "import SkyPilot catalog vms.csv feeds (paths or https URLs) as offerings"
ADD_HELP = "fetch and check a catalog URL, then add it to the team config"


@dataclass(frozen=True, slots=True)
class Target:
    """The config file `add` writes to, and where `[[remote]]` lives inside it."""

    path: Path
    header: str  # "remote" or "tool.advisor.remote"
    exists: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="catalog_action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help=ADD_HELP, description=ADD_HELP)
    add.add_argument("url", help="https:// URL of a catalog TOML file")
    add.add_argument("--sha256", help="pin: refuse the file unless its SHA-256 is this")
    add.add_argument("--refresh", help="revalidate when the copy is older than this (12h, 1d, 2w)")
    add.add_argument("--config", dest="target_config", metavar="PATH",
                     help="config file to write (default: nearest advisor.toml, else ./advisor.toml)")
    update = sub.add_parser("update", help="revalidate every listed remote catalog now")
    # SUPPRESS: without the flag here, the global `advisor --offline` still applies.
    update.add_argument("--offline", action="store_true", default=argparse.SUPPRESS,
                        help="do not use the network; check the cached copies only")
    listing = sub.add_parser("list", help="show listed remote catalogs and their cached copies")
    listing.add_argument("--format", choices=("table", "json"), default="table",
                         help="output format (default: table)")
    _add_import_arguments(sub)


def _add_import_arguments(sub: Any) -> None:
    from advisor.commands import _catalog_import

    parent = sub.add_parser("import", help=IMPORT_HELP, description=IMPORT_HELP)
    kinds = parent.add_subparsers(dest="feed", required=True, metavar="{skypilot,litellm}")
    litellm = kinds.add_parser("litellm", help=_catalog_import.HELP, description=_catalog_import.HELP)
    _catalog_import.add_arguments(litellm)
    imp = kinds.add_parser("skypilot", help=SKYPILOT_HELP, description=SKYPILOT_HELP)
    imp.add_argument("targets", nargs="+", metavar="PATH|URL", help="vms.csv files or https URLs")
    imp.add_argument("--write", metavar="FILE|FOLDER",
                     help="write the offerings as a team catalog, replaced atomically (a folder: one file per cloud)")
    imp.add_argument("--cloud", help="the feed's cloud when its folder does not say (aws, gcp, lambda …)")
    imp.add_argument("--as-of", dest="as_of", metavar="DATE", help="the feed's date (default: fetch or file date)")
    imp.add_argument("--source", help="what each offering cites (default: the URL, or the file)")
    imp.add_argument("--sha256", help="pin: refuse a downloaded feed unless its SHA-256 is this")
    imp.add_argument("--skip-builtin", action="store_true",
                     help="leave out what a hand-written built-in catalog sells (same provider and sku)")
    imp.add_argument("--leave-out-suspect", action="store_true",
                     help="do not keep an offering whose price a warning names (out of band, or jumped)")
    imp.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def run(args: argparse.Namespace) -> int:
    if args.catalog_action == "import" and args.feed == "litellm":
        from advisor.commands import _catalog_import

        return _catalog_import.run(args)
    action = {"add": _add, "update": _update, "list": _list, "import": _import}[args.catalog_action]
    return action(args)


# -- add -----------------------------------------------------------------------------------

def _add(args: argparse.Namespace) -> int:
    target = _target(args)
    entry = _entry_fields(args)
    before = _read_text(target.path) if target.exists else ""
    _refuse_if_listed(target, before, entry["url"])
    meta, count = _fetch_new(entry["url"], entry.get("sha256", ""))
    after = _appended(before, target.header, entry)
    _check_config_text(target, after, entry["url"])
    _replace_text(target.path, before, after, existed=target.exists)
    print(f"added {entry['url']} to {target.path}: {count} entries, "
          f"{meta.size_bytes} bytes, sha256 {meta.sha256}")
    if "sha256" not in entry:
        print(f"advisor: to pin this exact file, add: sha256 = \"{meta.sha256}\"",
              file=sys.stderr)
    return 0


def _fetch_new(url: str, pin: str) -> tuple[Any, int]:
    """Download and check the catalog, and cache it so the next run needs no request."""
    from advisor.catalog.remote import cache as remote_cache
    from advisor.catalog.remote import fetch as remote
    from advisor.catalog.remote.sync import validate_body
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    try:
        fetched = remote.fetch(url)
        loaded = validate_body(url, fetched.body, pin)
        meta = remote_cache.store(
            url, fetched.body, final_url=fetched.final_url, etag=fetched.etag,
            last_modified=fetched.last_modified, content_type=fetched.content_type,
        )
    except remote_cache.RemoteError as exc:
        raise AdvisorError(f"not added: {url}: {exc}", exit_code=EXIT_BAD_INPUT) from None
    except OSError as exc:
        raise AdvisorError(f"not added: cannot write the cache: {exc}",
                           exit_code=EXIT_BAD_INPUT) from None
    return meta, len(loaded.entries)


def _target(args: argparse.Namespace) -> Target:
    from advisor.catalog.paths import find_team_config
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    explicit = args.target_config or getattr(args, "config", None)
    if explicit:
        path = Path(explicit).expanduser()
    else:
        path = find_team_config(Path.cwd()) or Path.cwd() / "advisor.toml"
    if path.is_symlink():  # a planted (or dangling) link would send the write anywhere
        raise AdvisorError(f"{path} is a symlink; edit the file it points to by hand",
                           exit_code=EXIT_BAD_INPUT)
    path = path.resolve()
    header = "tool.advisor.remote" if path.name == "pyproject.toml" else "remote"
    return Target(path, header, path.is_file())


def _entry_fields(args: argparse.Namespace) -> dict[str, str]:
    """The new entry's fields, each checked by the config schema before anything is fetched."""
    from pydantic import ValidationError

    from advisor.catalog.remote.cache import normalize_sha256, parse_interval_s
    from advisor.catalog.team_config import RemoteCatalog
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    fields = {"url": args.url.strip()}
    if args.sha256:
        fields["sha256"] = normalize_sha256(args.sha256)
    if args.refresh:
        parse_interval_s(args.refresh)
        fields["refresh"] = args.refresh.strip()
    try:
        RemoteCatalog.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        raise AdvisorError(f"{key}: {first['msg']}", exit_code=EXIT_BAD_INPUT) from None
    return fields


def _refuse_if_listed(target: Target, text: str, url: str) -> None:
    from advisor.catalog.team_config import read_config
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    if not target.exists:
        return
    read = read_config(target.path)
    if read.problems:
        raise AdvisorError(f"{read.problems[0].render()} (fix {target.path} before adding to it)",
                           exit_code=EXIT_BAD_INPUT)
    for index, entry in enumerate(read.config.remote if read.config else ()):
        if entry.url == url:
            line = read.parsed.line_of((*read.base, "remote", index)) if read.parsed else None
            raise AdvisorError(f"{target.path}:{line or '?'}: {url} is already listed",
                               exit_code=EXIT_BAD_INPUT)


def _read_text(path: Path) -> str:
    """The file's text exactly, line endings included (no newline translation)."""
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisorError(f"cannot read {path}: {exc}", exit_code=EXIT_BAD_INPUT) from None


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML


def _appended(before: str, header: str, entry: dict[str, str]) -> str:
    """The file's text with a `[[remote]]` table added at the end, in the file's line style."""
    newline = "\r\n" if "\r\n" in before else "\n"
    lines = [f"[[{header}]]"] + [f"{key} = {_toml_string(value)}" for key, value in entry.items()]
    block = newline.join(lines) + newline
    if not before:
        return block
    if not before.endswith(("\n", "\r")):
        before += newline
    return before + newline + block


def _check_config_text(target: Target, text: str, url: str) -> None:
    """Parse the new text as the config loader will; refuse to write anything it would reject."""
    from advisor.catalog.team_config import read_config
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError

    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / target.path.name
        probe.write_text(text, encoding="utf-8", newline="")
        read = read_config(probe)
    urls = [r.url for r in read.config.remote] if read.config else []
    if read.problems or not urls or urls[-1] != url:
        why = read.problems[0].render() if read.problems else "the entry would not be read back"
        raise AdvisorError(f"cannot add to {target.path}: {why} (edit the file by hand)",
                           exit_code=EXIT_BAD_INPUT)


def _replace_text(path: Path, before: str, after: str, *, existed: bool) -> None:
    """Write `after` atomically, unless someone changed the file since it was read."""
    from advisor.errors import EXIT_BAD_INPUT, AdvisorError
    from advisor.files import write_atomic

    current = _read_text(path) if path.is_file() else ""
    if current != before or path.is_file() != existed:
        raise AdvisorError(f"{path} changed while adding; run the command again",
                           exit_code=EXIT_BAD_INPUT)
    try:
        write_atomic(path, after.encode("utf-8"), overwrite=existed)
    except OSError as exc:
        raise AdvisorError(f"cannot write {path}: {exc.strerror or exc}",
                           exit_code=EXIT_BAD_INPUT) from None


# -- update --------------------------------------------------------------------------------

def _update(args: argparse.Namespace) -> int:
    from advisor.catalog.remote.listed import listed_specs
    from advisor.catalog.remote.sync import NOT_MODIFIED, OFFLINE, UPDATED, sync
    from advisor.errors import EXIT_BAD_CATALOG, AdvisorError
    from advisor.export.terminal import safe_text

    skipped: list[str] = []
    specs = listed_specs(args, skipped)
    for line in skipped:
        print(f"advisor: warning: {safe_text(line)}", file=sys.stderr)
    if not specs:
        print("advisor: no remote catalogs are listed (add one with `advisor catalog add URL`)",
              file=sys.stderr)
        return 0
    offline = bool(getattr(args, "offline", False))
    good = {OFFLINE} if offline else {UPDATED, NOT_MODIFIED}
    failed = 0
    for spec in specs:
        try:
            result = sync(spec, offline=offline, force=True)
        except AdvisorError as err:
            failed += 1
            print(f"failed        {safe_text(spec.url)}", flush=True)
            print(f"advisor: {safe_text(err.message)}", file=sys.stderr)
            continue
        failed += result.status not in good
        digest = result.meta.sha256[:12] if result.meta else "—"
        print(f"{result.status:<13} {safe_text(spec.url)}  sha256 {digest}", flush=True)
        if result.warning:
            print(f"advisor: warning: {safe_text(result.warning)}", file=sys.stderr)
    return EXIT_BAD_CATALOG if failed else 0


# -- list ----------------------------------------------------------------------------------

def _list(args: argparse.Namespace) -> int:
    from advisor.catalog.remote.listed import listed_specs
    from advisor.export.terminal import Column, print_warnings, render

    skipped: list[str] = []
    records = [status_record(spec) for spec in listed_specs(args, skipped)]
    print_warnings(skipped)
    columns = [
        Column("source", "url"), Column("age", "age"),
        Column("size", lambda r: "—" if r["size_bytes"] is None else f"{r['size_bytes']:,} B",
               "right"),
        Column("sha256", lambda r: (r["sha256"] or "—")[:12]),
        Column("pinned", lambda r: "yes" if r["pin"] else "no"),
        Column("status", "status"),
    ]
    render(records, columns, args.format, title=f"{len(records)} remote catalogs")
    return 0


def status_record(spec: Any) -> dict[str, Any]:
    """What the cache holds for one listed catalog; never touches the network."""
    from advisor.catalog.remote.cache import CacheCorrupt, RemoteError, format_age, read
    from advisor.catalog.remote.sync import validate_body

    record: dict[str, Any] = {
        "url": spec.url, "configured_in": spec.configured_in, "pin": spec.sha256,
        "refresh_s": None if math.isinf(spec.refresh_s) else spec.refresh_s,
        "age": "—", "age_s": None, "size_bytes": None,
        "sha256": "", "fetched_at": None, "checked_at": None, "final_url": None,
    }
    try:
        copy = read(spec.url)
    except CacheCorrupt as exc:
        return {**record, "status": f"cache unusable: {exc}"}
    if copy is None:
        return {**record, "status": "not fetched"}
    meta = copy.meta
    age_s = meta.checked_age_s()
    record.update(age=format_age(age_s), age_s=round(age_s, 1), size_bytes=meta.size_bytes,
                  sha256=meta.sha256, fetched_at=meta.fetched_at, checked_at=meta.checked_at,
                  final_url=meta.final_url)
    try:
        validate_body(spec.url, copy.body, spec.sha256)
    except RemoteError as exc:
        return {**record, "status": f"unusable: {exc}"}
    if age_s >= spec.refresh_s:
        return {**record, "status": "stale (revalidated on next use)"}
    return {**record, "status": "fresh"}


# -- import --------------------------------------------------------------------------------

def _import(args: argparse.Namespace) -> int:
    import datetime as dt

    from advisor.catalog.config import world_from_args
    from advisor.catalog.feeds.run import ImportOptions, previous_import, run_import, write_import
    from advisor.catalog.remote.cache import normalize_sha256
    from advisor.export.terminal import print_warnings
    from advisor.shorthands import parse_date

    if args.as_of:
        parse_date(args.as_of)  # a bad date stops the import before any fetch
    options = ImportOptions(targets=tuple(args.targets), cloud=args.cloud or "", as_of=args.as_of or "",
                            source=args.source or "", offline=bool(getattr(args, "offline", False)),
                            pin=normalize_sha256(args.sha256) if args.sha256 else "", dedup=args.skip_builtin,
                            leave_out_suspect=args.leave_out_suspect)
    target = Path(args.write).expanduser() if args.write else None
    outcome = run_import(options, world_from_args(args), previous_import(target) if target else {})
    print_warnings(outcome.warnings)
    _print_imported(outcome, args.format)
    if target is not None:
        if not outcome.offerings:
            from advisor.errors import EXIT_BAD_INPUT, AdvisorError

            raise AdvisorError(f"nothing written to {target}: every offering was left out (see the warnings)",
                               exit_code=EXIT_BAD_INPUT)
        comment = (f"Imported by `advisor catalog import skypilot` on {dt.date.today().isoformat()} from:\n"
                   + "\n".join(args.targets))
        written = write_import(target, outcome.offerings, comment)
        print(f"wrote {len(outcome.offerings)} offerings to {', '.join(map(str, written))}", file=sys.stderr)
    return 0


def _print_imported(outcome: Any, fmt: str) -> None:
    from advisor.export.terminal import Column, render

    records = [{"id": o.id, "accelerator": o.accelerator, "gpus": o.gpus_per_node,
                "on_demand": o.price_per_node_hour, "spot": o.price_for("spot"),
                "regions": len(o.regions), "fabric": f"{o.intra_fabric}/{o.inter_fabric}",
                "fabric_from": "inferred" if o.id in outcome.inferred else "table", "as_of": str(o.as_of)}
               for o in outcome.offerings]
    columns = [
        Column("id", "id"), Column("GPU", "accelerator"), Column("n", "gpus", "right"),
        Column("on-demand $/h", lambda r: f"{r['on_demand']:,.2f}", "right"),
        Column("spot $/h", lambda r: "—" if r["spot"] is None else f"{r['spot']:,.2f}", "right"),
        Column("regions", "regions", "right"), Column("fabric", "fabric"),
        Column("facts", "fabric_from"), Column("as of", "as_of"),
    ]
    render(records, columns, fmt, title=f"{len(records)} offerings imported")
