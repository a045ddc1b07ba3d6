"""The flags that name one deployment (model, GPU, layout, formats, engine), shared by
`estimate`, `calibrate` and `validate`."""

from __future__ import annotations

import argparse
from typing import get_args

from advisor.domain.choices import ENGINES
from advisor.domain.common import KvDtype, WeightDtype

MEASURED_ON_HELP = ("what the runs were measured on, where a file does not say: a value a file "
                    "states (a model_id, vLLM --metadata tp=4, AIPerf's GPU telemetry) wins")


def add_deployment_flags(target: argparse.ArgumentParser | argparse._ArgumentGroup, *,
                         tp_help: str = "tensor-parallel degree") -> None:
    """--model --gpu --gpus --tp --pp --ep --engine --weights --kv-dtype."""
    target.add_argument("--model", metavar="NAME", help="model id or alias")
    target.add_argument("--gpu", metavar="NAME", help="accelerator id or alias")
    target.add_argument("--gpus", metavar="N", help="GPUs in total (default tp·pp)")
    target.add_argument("--tp", metavar="T", help=tp_help)
    target.add_argument("--pp", metavar="P", help="pipeline-parallel degree (default 1)")
    target.add_argument("--ep", metavar="E", help="expert-parallel degree (default 1)")
    target.add_argument("--engine", metavar="ENGINE", help=", ".join(ENGINES))
    target.add_argument("--weights", metavar="FORMAT", help="weight format: "
                        f"{', '.join(get_args(WeightDtype))} (default: the model's)")
    target.add_argument("--kv-dtype", dest="kv_dtype", metavar="DTYPE",
                        help=f"KV-cache dtype: {', '.join(get_args(KvDtype))} (default bf16)")


def add_measured_on_flags(parser: argparse.ArgumentParser) -> None:
    """The deployment flags as the "measured on" group of `calibrate` and `validate`."""
    add_deployment_flags(parser.add_argument_group("measured on", MEASURED_ON_HELP))
