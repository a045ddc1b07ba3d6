"""Command-line entry point: argparse, dispatch to `advisor.commands.*`, exit codes.

Each subcommand lives in its own module under `advisor/commands/` exposing `HELP`,
`add_arguments(parser)` and `run(args) -> int`; modules keep heavy imports inside `run`.
With no subcommand the Textual app starts (the only place textual is imported from here).
Must not import textual or httpx at module level.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, TextIO

from advisor import __version__
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, closest

COMMANDS = (
    "quote",
    "estimate",
    "validate",
    "floors",
    "models",
    "gpus",
    "offerings",
    "workloads",
    "check",
    "schema",
    "config",
    "calibrate",
    "catalog",
    "trust",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("advisor").strip()
        prefix = f"{command}: " if command else ""
        if message.startswith("argument COMMAND: invalid choice: '"):
            wrong = message.split("'")[1]
            hint = closest(wrong, COMMANDS)
            message = f"unknown command {wrong!r}" + (f" (did you mean {hint}?)" if hint else
                                                        f"; commands: {', '.join(COMMANDS)}")
        raise AdvisorError(f"{prefix}{message}", exit_code=EXIT_BAD_INPUT)

    def parse_args(self, args=None, namespace=None):
        """argparse's, plus a did-you-mean for a misspelt flag (`--modle` → `--model`)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            message = f"unrecognized arguments: {' '.join(extras)}"
            flag = next((e.split("=", 1)[0] for e in extras if e.startswith("--")), None)
            command = getattr(parsed, "command", None)
            if flag is not None and command and flag in self._option_string_actions:  # advisor's own
                message += (f" ({flag} is an option of advisor itself: put it before the command, "
                            f"advisor {flag} … {command})")
            elif flag is not None:
                hint = closest(flag, self._flags(command))
                message += f" (did you mean {hint}?)" if hint else ""
            self.error(message)
        return parsed

    def _flags(self, command: str | None) -> list[str]:
        """Every long option of this parser and of the chosen subcommand's parser."""
        flags = [f for f in self._option_string_actions if f.startswith("--")]
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and command in action.choices:
                flags += [f for f in action.choices[command]._option_string_actions if f.startswith("--")]
        return flags


def _available_commands(only: str | None = None) -> list[tuple[str, ModuleType]]:
    found = []
    for name in (only,) if only else COMMANDS:
        try:
            module = importlib.import_module(f"advisor.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"advisor.commands.{name}":
                raise
            continue
        found.append((name, module))
    return found


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line, if any: its module is the only one imported.

    Skips global options (and the value of `--config`); anything unusual (help, a typo, no
    command) gives None, and the parser is built with every command as usual.
    """
    tokens = iter(argv)
    for token in tokens:
        if token == "--config":
            next(tokens, None)
        elif not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argparse parser; given argv, only the named subcommand's module is imported."""
    parser = _Parser(
        prog="advisor",
        description="Which GPU cluster to rent for serving an LLM, and its cost per million tokens.",
        epilog="Run without a command to open the interactive app. Exit codes: 0 ok, "
        "1 nothing feasible, 2 bad input, 3 bad catalog/profile.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=os.environ.get("ADVISOR_CONFIG"),
        help="team config file (default: $ADVISOR_CONFIG, else advisor.toml found upward)",
    )
    parser.add_argument(
        "--no-discover",
        action="store_true",
        help="ignore user and team config files; built-in data only",
    )
    _switch(parser, "--offline", "ADVISOR_OFFLINE",
            "never use the network: remote catalogs come from the cache or are skipped")
    _switch(parser, "--strict", "ADVISOR_STRICT",
            "treat sanity warnings about team files (implausible prices, memory, bandwidths, "
            "parameter counts, clashing names) as errors")
    switches = [a for a in parser._actions if isinstance(a, argparse._StoreTrueAction)]
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in _available_commands(_named_command(argv) if argv is not None else None):
        child = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(child)
        # advisor's on/off switches are accepted after the command too (`advisor quote …
        # --no-discover`); absent there, the value given before it stands
        for switch in switches:
            if switch.option_strings[0] not in child._option_string_actions:  # not check --strict
                child.add_argument(*switch.option_strings, dest=switch.dest, action="store_true",
                                   default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        child.set_defaults(_run=module.run)
    return parser


def _switch(parser: argparse.ArgumentParser, flag: str, variable: str, help_text: str) -> None:
    """An on/off flag whose default is on when the environment variable is set (not to 0)."""
    parser.add_argument(flag, action="store_true",
                        default=os.environ.get(variable, "") not in ("", "0"),
                        help=f"{help_text} (default: ${variable})")


def _show_download_progress() -> None:
    """Slow remote-catalog downloads draw a progress bar on the terminal's stderr."""
    from advisor.catalog import remote
    from advisor.export.terminal import download_progress

    remote.progress_factory = download_progress


class _GuardedStdout:
    """sys.stdout while a command runs: a failed write or flush (a full disk, a vanished
    terminal) is one AdvisorError line, exit 2, instead of a traceback or a message at exit; a
    closed pipe stays a BrokenPipeError, which ends the command quietly."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _stdout_error(self._stream, exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _stdout_error(self._stream, exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdout_error(stream: TextIO, exc: OSError) -> AdvisorError:
    _silence(stream)  # what is still buffered would fail again, as a message at exit
    return AdvisorError(f"cannot write to stdout: {exc.strerror or exc}", exit_code=EXIT_BAD_INPUT)


def _silence(stream: TextIO) -> None:
    """Point the stream's descriptor at /dev/null, so what is still buffered goes nowhere."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _run_command(args: argparse.Namespace) -> int:
    """The subcommand with a guarded stdout, flushed before the exit status is decided."""
    real = sys.stdout
    sys.stdout = _GuardedStdout(real)
    try:
        code = int(args._run(args))
        sys.stdout.flush()
        return code
    finally:
        sys.stdout = real


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = list(sys.argv[1:] if argv is None else argv)
        args = build_parser(arguments).parse_args(arguments)
        _show_download_progress()
        if args.command is None:
            from advisor.tui import run_app  # textual only on this branch

            return run_app(args)
        return _run_command(args)
    except AdvisorError as err:
        from advisor.catalog.toml_reader import printable  # messages may quote file text: no escapes reach the terminal

        for line in err.lines():
            print(f"advisor: {printable(line)}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("advisor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence(sys.stdout)  # the reader went away: nothing more to say, and no error at exit
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
