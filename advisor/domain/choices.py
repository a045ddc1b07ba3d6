"""The closed vocabularies as tuples, for argparse choices, form selects and error messages.

Each list is spelled once, as the `Literal` its records validate against (`Engine` in
`advisor.domain.common`, `Tenancy` and `Term` in `advisor.domain.offering`); the tuples here are
derived from those, so a new engine or term is added in one place.
"""

from __future__ import annotations

from typing import get_args

from advisor.domain.common import Engine
from advisor.domain.offering import Tenancy, Term

ENGINES: tuple[Engine, ...] = get_args(Engine)
TENANCIES: tuple[Tenancy, ...] = get_args(Tenancy)
TERMS: tuple[Term, ...] = get_args(Term)

__all__ = ["ENGINES", "TENANCIES", "TERMS", "Engine", "Tenancy", "Term"]
