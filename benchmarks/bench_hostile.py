"""Time hostile inputs: every file of tests/hostile/ and large synthetic files at the loader's
limits (2 MiB, 60,000 tokens, 10,000 items, 10,000-character strings, deep keys).

Target: each gives its one clear error in under a second (a hostile file must not stall a
command or the TUI). Two measures per input:
`load_catalog_bytes` in this process (the loader's own time), and for the corpus the wall time
of a whole `python -m advisor --no-discover check FILE` (interpreter start included).
Usage: python benchmarks/bench_hostile.py [--no-subprocess]
Prints numbers only; no assertion (timings do not belong in tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from advisor.catalog.loaders import load_catalog_bytes  # noqa: E402
from advisor.catalog.toml_reader import MAX_FILE_BYTES  # noqa: E402

LIMIT = MAX_FILE_BYTES - 256
WORKLOAD = ('[[workload]]\nid = "chat-x"\nname = "Chat X"\ninput_tokens = 1000\noutput_tokens = 200\n'
            'max_context = 8192\nconcurrency = 8\n')


def _cut(text: str) -> bytes:
    return text.encode()[:LIMIT]


SYNTHETIC: dict[str, Callable[[], bytes]] = {
    "2 MiB of key = value lines": lambda: _cut("".join(f"k{i} = 1\n" for i in range(300_000))),
    "2 MiB array of numbers": lambda: _cut("x = [" + "1," * (LIMIT // 2)) + b"]\n",
    "2 MiB array of empty inline tables": lambda: _cut("x = [" + "{}," * (LIMIT // 3)) + b"]\n",
    "2 MiB of table headers": lambda: _cut("".join(f"[t{i}]\n" for i in range(400_000))),
    "dotted key of 1M parts": lambda: _cut(".".join(["a"] * (LIMIT // 2))) + b" = 1\n",
    "header of 1M dotted parts": lambda: b"[" + _cut(".".join(["a"] * (LIMIT // 2))) + b"]\n",
    "2 MiB basic string": lambda: b'x = "' + b"a" * (LIMIT - 10) + b'"\n',
    "2 MiB multi-line string": lambda: b'x = """' + b"ab" * (LIMIT // 2 - 10) + b'"""\n',
    "2 MiB of escapes": lambda: b'x = "' + b"\\u0041" * (LIMIT // 6 - 2) + b'"\n',
    "5,000 lines of 399 chars, 199 dots each": lambda: (("a." * 199)[:399] + "\n").encode() * 5_000,
    "2 MiB of blanks": lambda: b"a = 1" + b" " * (LIMIT - 20) + b"\nb = 2\n",
    "2 MiB of nested brackets": lambda: b"x = " + b"[" * (LIMIT // 2) + b"]" * (LIMIT // 2 - 4),
    "9,999 numbers (under every limit)": lambda: ("x = [" + "1," * 9_999 + "]\n").encode(),
    "19,000 numbers (under the token bound)": lambda: ("x = [" + "1," * 19_000 + "]\n").encode(),
    "2,000 valid workloads (under the token bound)": lambda: "".join(
        WORKLOAD.replace("chat-x", f"w{i}") for i in range(2_000)).encode(),
    "19,000 keys in one inline table": lambda: ("x = {" + ",".join(f"k{i}=1" for i in range(19_000)) + "}\n").encode(),
    "200 strings of 9,000 chars + a typo": lambda: _cut(
        WORKLOAD + "".join(f'n{i} = "{"a" * 9_000}"\n' for i in range(200))),
    "4,500 invalid workloads": lambda: "".join(f'[[workload]]\nid = "W{i}"\n' for i in range(4_500)).encode(),
    "700 valid offerings (~0.6 MB)": lambda: _offerings(700),
}


def _offerings(count: int) -> bytes:
    block = (REPO_ROOT / "catalogs" / "lambda.toml").read_text().split("[[offering]]")[1]
    first_id = block.split('id = "', 1)[1].split('"', 1)[0]
    return "".join("[[offering]]" + block.replace(first_id, f"team/x{i}") for i in range(count)).encode()


def loader_s(data: bytes) -> tuple[float, str]:
    started = time.perf_counter()
    loaded = load_catalog_bytes(data, "bench.toml")
    elapsed = time.perf_counter() - started
    first = loaded.problems[0].render() if loaded.problems else f"{len(loaded.entries)} entries, no problem"
    return elapsed, first


def check_s(path: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "advisor", "--no-discover", "check", str(path)],
                            capture_output=True, env=env, cwd=REPO_ROOT)
    return time.perf_counter() - started, result.returncode


def main(subprocesses: bool) -> None:
    print(f"{'input':52} {'bytes':>9} {'loader s':>9}  first line")
    for name, make in SYNTHETIC.items():
        data = make()
        elapsed, first = loader_s(data)
        print(f"{name:52} {len(data):9} {elapsed:9.3f}  {first[:90]}")
    corpus = sorted((REPO_ROOT / "tests" / "hostile").glob("*.toml"))
    print(f"\ncorpus: {len(corpus)} files")
    print(f"{'file':44} {'loader s':>9} {'check s':>8} {'exit':>5}")
    worst = 0.0
    for path in corpus:
        elapsed, _ = loader_s(path.read_bytes())
        wall, code = check_s(path) if subprocesses else (float("nan"), -1)
        worst = max(worst, wall if subprocesses else elapsed)
        print(f"{path.name:44} {elapsed:9.3f} {wall:8.3f} {code:5}")
    print(f"\nslowest corpus file: {worst:.3f} s ({'whole command' if subprocesses else 'loader only'})")


if __name__ == "__main__":
    main(subprocesses="--no-subprocess" not in sys.argv[1:])
