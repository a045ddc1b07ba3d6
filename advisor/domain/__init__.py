"""Domain records (frozen, keyword-only; pydantic validates files into them): what the files
describe. See `advisor.domain.common` for how records, constraints and validation fit.

Must not import pint at module level, textual, rich or httpx.
"""

from __future__ import annotations

from advisor.domain.api_price import ApiPrice
from advisor.domain.calibration import EfficiencyFactors, TenancyFactor
from advisor.domain.common import normalize_name
from advisor.domain.hardware import Accelerator
from advisor.domain.model import AttentionLayers, LinearAttention, Mla, ModelProfile, Moe, SparseAttention
from advisor.domain.offering import CommitmentPrice, Offering
from advisor.domain.workload import WorkloadProfile

__all__ = [
    "Accelerator",
    "ApiPrice",
    "AttentionLayers",
    "CommitmentPrice",
    "EfficiencyFactors",
    "LinearAttention",
    "Mla",
    "ModelProfile",
    "Moe",
    "Offering",
    "SparseAttention",
    "TenancyFactor",
    "WorkloadProfile",
    "normalize_name",
]
