"""What the launch recipes know about each serving engine, release by release.

A recipe is written for one release: the one `--engine vllm@0.11` names, else the newest
release whose flags were checked (`NEWEST_CHECKED`). Each feature the recipes use is listed with
the first checked release that has it; older releases get a one-line refusal that names the
release to ask for, never a flag the engine would reject. The spellings were read from the
engines' own argument parsers (vLLM `vllm/engine/arg_utils.py`, `vllm/entrypoints/cli/serve.py`,
`vllm/benchmarks/serve.py`; SGLang `python/sglang/srt/server_args.py`, `bench_serving.py`;
TensorRT-LLM `tensorrt_llm/commands/serve.py`); `tests/fixtures/recipe/flags-*.json` lists each
flag with its source and the tests parse every generated command against them.
Must not import rich, textual, httpx or pint.
"""

from __future__ import annotations

from typing import NamedTuple

from advisor.domain.engines import Version, split_engine, version_tuple
from advisor.errors import EXIT_BAD_INPUT, AdvisorError

LABELS = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}
NEWEST_CHECKED = {"vllm": "0.34.0", "sglang": "0.5.10", "trtllm": "1.2.1"}
OLDEST_CHECKED = {"vllm": "0.5.5", "sglang": "0.3.0", "trtllm": "1.0.0"}

# feature -> (engine, first checked release that has it, what it is)
FEATURES: dict[str, tuple[str, str, str]] = {
    "vllm-expert-parallel": ("vllm", "0.8.0", "--enable-expert-parallel"),
    "vllm-data-parallel": ("vllm", "0.8.3", "--data-parallel-size"),
    "vllm-chunked-by-default": ("vllm", "0.8.0", "chunked prefill on by default (V1 engine)"),
    "vllm-nnodes": ("vllm", "0.11.1", "--nnodes/--node-rank/--master-addr (multiprocessing across nodes)"),
    "vllm-bench-cli": ("vllm", "0.9.2", "`vllm bench serve --backend`"),
    "vllm-bench-concurrency": ("vllm", "0.6.4", "benchmarks/benchmark_serving.py --max-concurrency"),
    "sglang-dist-init-addr": ("sglang", "0.3.5", "--dist-init-addr"),
    "sglang-dp-attention": ("sglang", "0.3.6", "--enable-dp-attention"),
    "sglang-ep-moe": ("sglang", "0.4.1", "--enable-ep-moe (expert parallel = tensor parallel)"),
    "sglang-ep-size": ("sglang", "0.5.0", "--ep-size on its own (--enable-ep-moe deprecated)"),
    "sglang-pipeline": ("sglang", "0.4.7", "--pp-size"),
    "sglang-bench-concurrency": ("sglang", "0.4.0", "sglang.bench_serving --max-concurrency"),
}

# Container images, tagged with the release (AMD: only where an official ROCm image is known).
IMAGES = {
    ("vllm", "NVIDIA"): "vllm/vllm-openai:v{version}",
    ("vllm", "AMD"): "vllm/vllm-openai-rocm:v{version}",
    ("sglang", "NVIDIA"): "lmsysorg/sglang:v{version}",
    ("trtllm", "NVIDIA"): "nvcr.io/nvidia/tensorrt-llm/release:{version}",
}
IMAGE_SINCE = {("vllm", "AMD"): "0.17.0"}  # the oldest vllm-openai-rocm tag seen


class Release(NamedTuple):
    """The engine and release a recipe is written for."""

    engine: str  # vllm | sglang | trtllm
    version: str  # three-part release, e.g. 0.34.0
    pinned: bool  # True: the request named no release; the newest checked one is used

    @property
    def label(self) -> str:
        return f"{LABELS[self.engine]} {self.version}"

    @property
    def key(self) -> Version:
        return version_tuple(self.version)

    def has(self, feature: str) -> bool:
        engine, since, _ = FEATURES[feature]
        return engine == self.engine and self.key >= version_tuple(since)

    def need(self, feature: str, why: str) -> None:
        """Refuse (exit 2) when this release predates `feature`."""
        if not self.has(feature):
            _, since, what = FEATURES[feature]
            raise AdvisorError(
                f"{why} needs {what}, first in {LABELS[self.engine]} {since} (checked releases); the quote "
                f"is for {self.label}: ask for --engine {self.engine}@{since} or later", exit_code=EXIT_BAD_INPUT)

    def image(self, vendor: str) -> str | None:
        """The engine's official container image for this release on `vendor` GPUs (None: none known)."""
        pattern = IMAGES.get((self.engine, vendor))
        since = IMAGE_SINCE.get((self.engine, vendor))
        if pattern is None or (since is not None and self.key < version_tuple(since)):
            return None
        return pattern.format(version=self.version)


def release_for(engine_spec: str) -> Release:
    """The release a quote's engine spec ('vllm', 'vllm@0.6', 'trtllm@1.0') asks for; a release
    older than the oldest checked one is refused with the one to ask for."""
    name, version = split_engine(engine_spec)
    if version is None:
        return Release(name, NEWEST_CHECKED[name], True)
    parts = version_tuple(version)
    full = ".".join(str(p) for p in (parts + (0, 0))[: max(3, len(parts))])
    if version_tuple(full) < version_tuple(OLDEST_CHECKED[name]):
        raise AdvisorError(
            f"launch recipes are checked against {LABELS[name]} {OLDEST_CHECKED[name]} and later; the quote is for "
            f"{name}@{version}: ask for --engine {name}@{OLDEST_CHECKED[name]} or later", exit_code=EXIT_BAD_INPUT)
    return Release(name, full, False)
