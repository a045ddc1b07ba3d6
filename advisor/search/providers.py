"""Which offerings a provider name means: one rule for `advisor quote --provider` (and the
TUI's provider filter) and `advisor offerings --provider`.

A name matches an offering when, reduced to lower-case letters and digits, it equals the
offering's provider ("Oracle OCI" → "oracleoci") or the first part of its id ("oracle" of
"oracle/bm.gpu.h100.8"). A name that matches no offering at all is bad input, with the closest
provider suggested: a filter that silently matched nothing would look like "nothing feasible".
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.domain import Offering
from advisor.errors import EXIT_BAD_INPUT, AdvisorError, closest, hint_text


def provider_key(name: str) -> str:
    """'Oracle OCI' → 'oracleoci', 'Latitude.sh' → 'latitudesh': the form names are compared in."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def offering_keys(offering: Offering) -> tuple[str, str]:
    """The two names that pick `offering`: its provider and its id's first part."""
    return provider_key(offering.provider), provider_key(offering.id.split("/", 1)[0])


def matches_provider(offering: Offering, names: Iterable[str]) -> bool:
    """Whether any of `names` picks `offering`."""
    keys = offering_keys(offering)
    return any(provider_key(name) in keys for name in names)


def check_providers(names: Iterable[str], offerings: Iterable[Offering], flag: str = "--provider") -> None:
    """Exit 2 on the first of `names` that picks no offering: 'unknown provider 'lamda' (did you
    mean 'lambda'?)', or the list of providers when nothing is close."""
    offerings = list(offerings)
    known: dict[str, str] = {}  # key -> the id prefix to suggest (what `--provider` is shortest as)
    for offering in offerings:
        prefix = offering.id.split("/", 1)[0]
        for key in offering_keys(offering):
            known.setdefault(key, prefix)
    for name in names:
        if provider_key(name) in known:
            continue
        hint = closest(provider_key(name), known)
        listed = "" if hint else f"; providers: {', '.join(sorted(set(known.values())))}"
        raise AdvisorError(f"{flag}: unknown provider {name[:40]!r}"
                           f"{hint_text(known[hint] if hint else None)}{listed}", exit_code=EXIT_BAD_INPUT)
