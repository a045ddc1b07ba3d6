"""The collectives of one pipeline stage's step, by kind: TP all-reduce (and its part across the
NICs), EP all-to-all (dispatch + combine, `tokens × k × hidden` bytes each per MoE layer) and the
PP send, from a `Plan`; and the `Interconnect` record that reports them. Pure; no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core.comms import allreduce_s, alltoall_s, hierarchical_parts, p2p_s
from advisor.core.precision import ACTIVATION_BYTES
from advisor.core.types import Interconnect

if TYPE_CHECKING:  # timing imports this module for the step's collectives
    from advisor.core.timing import Plan, Step


def comm_terms(plan: Plan, tokens: float) -> tuple[float, float, float]:
    """(TP all-reduce, EP all-to-all, PP send) time of one stage step carrying `tokens` tokens."""
    message = tokens * plan.hidden * ACTIVATION_BYTES
    allreduce = plan.allreduces * allreduce_s(message, plan.tp, plan.tp_link, plan.alpha_s)
    alltoall = 0.0
    if plan.ep_groups > 1:
        # Dispatch sends each token's hidden state to its k experts' ranks (in FP8 on FP8/FP4
        # stacks), combine returns them in bf16: two all-to-alls per MoE layer.
        dispatch, combine = alltoall_bytes(plan, tokens)
        group = plan.ep_groups * plan.tp
        alltoall = plan.moe_layers * (alltoall_s(dispatch, group, plan.ep_link, plan.alpha_s)
                                      + alltoall_s(combine, group, plan.ep_link, plan.alpha_s))
    send = p2p_s(message / plan.tp, plan.pp_link, plan.alpha_s) if plan.pp > 1 else 0.0
    return allreduce, alltoall, send


def with_collectives(ic: Interconnect, step: Step, tokens: float, step_s: float) -> Interconnect:
    """The interconnect record with every collective of a stage step carrying `tokens` tokens:
    TP all-reduce (and its NIC part across nodes), EP all-to-all (and the part of it hidden
    behind compute), PP send."""
    plan = step.plan
    allreduce, alltoall, send = comm_terms(plan, tokens)
    hidden = alltoall - max(0.0, alltoall - step.kernels(tokens)) if plan.alltoall_overlap else 0.0
    nic = 0.0
    if plan.tp_link.local is not None and plan.tp > plan.tp_link.local_gpus and tokens > 0:
        message = tokens * plan.hidden * ACTIVATION_BYTES
        nic = plan.allreduces * hierarchical_parts(message, plan.tp, plan.tp_link, plan.alpha_s)[1]
    a2a = sum(alltoall_bytes(plan, tokens)) * plan.moe_layers if plan.ep_groups > 1 else 0.0
    return ic._replace(
        allreduce_s=allreduce,
        allreduce_nic_s=nic,
        alltoall_s=alltoall,
        alltoall_hidden_s=hidden,
        alltoall_bytes_per_step=a2a,
        alltoall_link_kind=plan.ep_link.label if plan.ep_groups > 1 else "none",
        pp_send_s=send,
        pp_link_kind=plan.pp_link.kind if plan.pp > 1 else "none",
        step_s=step_s,
    )


def alltoall_bytes(plan: Plan, tokens: float) -> tuple[float, float]:
    """(dispatch, combine) bytes one GPU sends per MoE layer: tokens × k × hidden × bytes."""
    routed = tokens * plan.hidden * plan.experts_per_token
    return routed * plan.dispatch_bytes, routed * ACTIVATION_BYTES
