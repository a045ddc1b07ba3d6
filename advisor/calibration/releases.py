"""The engine releases and GPU families the shipped efficiency factors are keyed by: the
version ranges with their documented defaults and notes, the reference release the family
bases are fitted on, the families' matmul efficiency relative to Hopper, and the entries' ids.
Pure data and lookups; must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from advisor.domain.engines import in_range

REFERENCE = ("trtllm", "<1.0")

# Releases whose kernels and schedulers differ enough to need their own factors (model.md §6),
# with each one's documented defaults: batch cap (max_num_seqs / max_running_requests /
# max_batch_size), memory fraction and prefill chunk. Sources in ENGINE_NOTES.
RELEASES: dict[str, tuple[str, ...]] = {
    "trtllm": ("<1.0", ">=1.0"),
    "vllm": ("<0.6", ">=0.6,<0.8", ">=0.8"),
    "sglang": ("<0.4", ">=0.4,<0.5", ">=0.5"),
}
DEFAULTS: dict[tuple[str, str], dict[str, float]] = {
    ("trtllm", "<1.0"): {"memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("trtllm", ">=1.0"): {"max_batch": 2048, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192,
                          "host_overlap": 1},
    ("vllm", "<0.6"): {"max_batch": 256, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("vllm", ">=0.6,<0.8"): {"max_batch": 256, "memory_fraction": 0.9, "prefill_chunk_tokens": 8192},
    ("vllm", ">=0.8"): {"max_batch": 1024, "small_gpu_max_batch": 256, "memory_fraction": 0.9,
                        "prefill_chunk_tokens": 8192},
    ("sglang", "<0.4"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192,
                         "prefill_alone": 1},
    ("sglang", ">=0.4,<0.5"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192,
                               "host_overlap": 1, "prefill_alone": 1},
    ("sglang", ">=0.5"): {"max_batch": 2048, "memory_fraction": 0.85, "prefill_chunk_tokens": 8192,
                          "host_overlap": 1, "prefill_alone": 1},
}
ENGINE_NOTES = {
    "trtllm": "TensorRT-LLM defaults: max_batch_size 2048 and max_num_tokens 8192 (PyTorch "
              "backend, 1.x), kv_cache_free_gpu_mem_fraction 0.9 of the memory left after weights; "
              "1.x overlaps the host's scheduling with the GPU step (disable_overlap_scheduler "
              "false)",
    "vllm": "vLLM defaults: gpu_memory_utilization 0.9; max_num_seqs 256 in the V0 engine "
            "(before 0.8); in V1 (vllm/engine/arg_utils.py get_batch_defaults) 1024 and "
            "max_num_batched_tokens 8192 for the API server on GPUs of 70 GiB or more other than "
            "A100, 256 and 2048 on the rest; scheduling runs between GPU steps unless "
            "--async-scheduling is given, which is the default from 0.14 (vllm#27614; the "
            "newest profile and runs of 0.14 on take it)",
    "sglang": "SGLang defaults: mem_fraction_static about 0.85 on 80-192 GB GPUs (set from GPU "
              "memory and TP), max_running_requests from the KV pool (no fixed cap), "
              "chunked_prefill_size 8192; from 0.4 the overlap scheduler prepares the next batch "
              "on the host while the GPU runs this one (disable_overlap_schedule false); "
              "enable_mixed_chunk false: new prompts prefill in forwards of their own while "
              "decoding waits",
}
# Matmul efficiency relative to Hopper, from measured max-achievable matmul FLOPS (MAMF,
# shared/facts/gpus.csv): GH200 828.6/989 = 0.84, B200 1745/2250 = 0.78, MI300X 668/1307 = 0.51,
# Gaudi2 418.7/432 = 0.97. Families without a measurement borrow the nearest one (assumption).
MAMF_SHARE = {"hopper": 0.84, "ada": 0.84, "ampere": 0.84, "blackwell": 0.78, "cdna2": 0.51,
              "cdna3": 0.51, "cdna4": 0.51, "gaudi2": 0.97, "gaudi3": 0.97}
FAMILIES = ("hopper", "ada", "ampere", "blackwell", "cdna2", "cdna3", "cdna4", "gaudi2", "gaudi3")
FAMILY_ENGINES = {"cdna2": ("vllm", "sglang"), "cdna3": ("vllm", "sglang"),
                  "cdna4": ("vllm", "sglang"), "gaudi2": ("vllm",), "gaudi3": ("vllm",)}


def release_of(engine: str, version: str | None) -> str:
    """The version range a row's release falls in (the newest when the row does not say)."""
    ranges = RELEASES[engine]
    if version is None:
        return ranges[-1]
    for spec in ranges:
        if in_range(version, spec):
            return spec
    return ranges[-1]


def _slug(release: str) -> str:
    return release.replace(">=", "ge").replace("<", "lt").replace(",", "-")


def entry_id(family: str, engine: str, release: str) -> str:
    """'hopper-vllm' for the newest release of an engine, 'hopper-vllm-ge0.6-lt0.8' for older."""
    if release == RELEASES[engine][-1]:
        return f"{family}-{engine}"
    return f"{family}-{engine}-{_slug(release)}"
