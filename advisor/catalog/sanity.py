"""Semantic sanity checks: entries that validate but are probably wrong, as warnings.

A file can pass every schema rule and still mislead: a per-GPU price typed as the node price,
"80 GB" written for a GPU of 80 GiB, NVLink's both-directions figure where one direction is
meant, a model whose `total_params` does not match its own shape, a team alias that another
entry already answers to. Each check is a pure function over a `World` (and a `Reference`
built from the built-in data) returning `Problem`s placed at `file:line` from `World.origins`;
`pinpoint` then moves each to the line of its key when the file can be read. The caller
decides what a problem is: `advisor.catalog.config` turns them into the World's warnings, or,
under `--strict`, raises them as errors (exit 2 for files given on the command line, 3 for
discovered files). Nothing here loads files or prints.

Bands and limits (documented in docs/hostile-inputs.md):
- an offering replacing a built-in one (same id) at under 0.5× its price per GPU-hour.
- price per GPU-hour (USD, node price / GPUs, commitments too) within 0.2×–5× the median of
  the built-in offerings of the same accelerator; else of the same family; else 0.05–50 USD.
  0.2× catches a per-GPU price entered as an 8-GPU node's (1/8 = 0.125×); built-ins span
  0.46×–2.95×. Prices without an exchange rate to USD are not compared.
- memory within 5 % of the usable or marketed size of a built-in accelerator that shares a
  name (id, name or alias) with it.
- bandwidths and fabrics for their link kind and GPU, and overrides that change a built-in's
  hardware: `advisor.catalog.sanity_hardware`, which lists its bands.
- `total_params` within 10 % of the count from the model's shape (`advisor.core.params`).
- an id, name or alias of an accelerator, model or workload that another entry of the same
  kind already answers to (lookups would silently pick the first loaded).
- a re-imported offering whose price under a term moved by more than JUMP× (either way) from
  the previous import of the same id (`price_jump_findings`).
Duplicate ids are not checked here: `config.merge_layers` already rejects a repeat within a
layer, naming both places, and a later layer shadowing an id is the override mechanism.

Must not import textual, rich, httpx or pint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from advisor.catalog.sanity_hardware import (
    Finding,
    accelerator_link_findings,
    offering_fabric_findings,
    override_findings,
)
from advisor.catalog.toml_reader import dotted
from advisor.catalog.world import BUILTIN, Origin, World
from advisor.domain import Accelerator, ApiPrice, ModelProfile, Offering, WorkloadProfile, normalize_name
from advisor.errors import Problem, did_you_mean

PRICE_BAND = (0.2, 5.0)  # × the reference median per GPU-hour
ABSOLUTE_USD_PER_GPU_HOUR = (0.05, 50.0)  # when no built-in price of the GPU or family exists
SHADOW_FLOOR = 0.5  # × the price of the built-in offering a team/remote entry replaces
MEMORY_TOLERANCE = 0.05
PARAMS_TOLERANCE = 0.10
JUMP = 3.0  # × the previous import's price, up or down: a unit slip or a feed bug, not a sale


@dataclass(frozen=True)
class Reference:
    """What the built-in data says is normal: known accelerators and typical prices."""

    accelerators: dict[str, Accelerator]
    usd_per_gpu_hour: dict[str, float]  # accelerator id -> median of built-in offerings
    family_usd_per_gpu_hour: dict[str, float]  # family -> median of built-in offerings
    names: dict[str, list[Accelerator]] = field(default_factory=dict)  # normalized name -> entries
    offerings: dict[str, Offering] = field(default_factory=dict)  # built-in offerings by id

    @classmethod
    def build(cls, accelerators: Iterable[Accelerator], offerings: Iterable[Offering],
              rates: dict[str, float]) -> Reference:
        from statistics import median  # only when team entries are checked

        accs = {a.id: a for a in accelerators}
        per_acc: dict[str, list[float]] = defaultdict(list)
        per_family: dict[str, list[float]] = defaultdict(list)
        offers = {o.id: o for o in offerings}
        for o in offers.values():
            usd = _usd_per_gpu_hour(o.price_per_node_hour, o, rates)
            acc = accs.get(o.accelerator)
            if usd is not None and acc is not None:
                per_acc[acc.id].append(usd)
                per_family[acc.family].append(usd)
        names: dict[str, list[Accelerator]] = defaultdict(list)
        for acc in accs.values():
            for name in {normalize_name(n) for n in _names(acc)}:
                names[name].append(acc)
        return cls(accs, {k: median(v) for k, v in per_acc.items()},
                   {k: median(v) for k, v in per_family.items()}, dict(names), offers)


def reference_for(world: World, load_builtins: Callable[[], World]) -> Reference:
    """The built-in reference: the world's built-in entries, or (when a team entry shadows a
    built-in accelerator or offering) the built-ins loaded again by `load_builtins`."""
    shadowed = any(old.layer == BUILTIN and kind in ("accelerator", "offering")
                   for kind, _, old, _ in world.shadowed)
    source = world
    if shadowed:
        source = load_builtins()
    rates = dict(world.settings.currency_rates)
    accs = [a for a in source.accelerators.values() if source.layer_of("accelerator", a.id) == BUILTIN]
    offers = [o for o in source.offerings.values() if source.layer_of("offering", o.id) == BUILTIN]
    return Reference.build(accs, offers, rates)


# -- the checks ----------------------------------------------------------------------------

def check_world(world: World, reference: Reference, *, layers: Collection[str] | None = None) -> list[Finding]:
    """Every finding for the entries whose layer is in `layers` (all entries when None)."""
    def chosen(kind: str, table: dict) -> list:
        return [e for key, e in table.items() if layers is None or world.layer_of(kind, key) in layers]

    findings: list[Finding] = []
    for acc in chosen("accelerator", world.accelerators):
        findings += accelerator_findings(acc, reference)
    rates = dict(world.settings.currency_rates)
    for offering in chosen("offering", world.offerings):
        acc = world.accelerators.get(offering.accelerator)
        findings += offering_findings(offering, acc, reference, rates)
    for model in chosen("model", world.models):
        findings += model_findings(model)
    findings += [api_price_finding(world, p) for p in chosen("api_price", world.api_prices)
                 if p.model not in world.models]
    findings += name_findings(world, layers)
    builtins: dict[str, Mapping[str, object]] = {"offering": reference.offerings,
                                                  "accelerator": reference.accelerators}
    said = {(f.kind, f.entry_id, f.key_path) for f in findings}
    return findings + [f for f in override_findings(world, builtins, layers)
                       if (f.kind, f.entry_id, f.key_path) not in said]


def accelerator_findings(acc: Accelerator, reference: Reference) -> list[Finding]:
    """Memory against the known GPU of the same name, and bandwidths against known maxima."""
    return _memory_findings(acc, reference) + accelerator_link_findings(acc)


def _memory_findings(acc: Accelerator, reference: Reference) -> list[Finding]:
    known = {a.id: a for name in {normalize_name(n) for n in _names(acc)} for a in reference.names.get(name, [])}
    if not known:
        return []
    sizes = [s for a in known.values() for s in (a.memory_bytes, a.memory_marketed_bytes) if s]
    if any(abs(acc.memory_bytes - size) <= MEMORY_TOLERANCE * size for size in sizes):
        return []
    best = min(known.values(), key=lambda a: abs(a.memory_bytes - acc.memory_bytes))
    marketed = f", {_gib(best.memory_marketed_bytes)} marketed" if best.memory_marketed_bytes else ""
    hint = "; GB vs GiB?" if _gb_gib_mixup(acc.memory_bytes, sizes) else ""
    return [Finding("accelerator", acc.id, ("memory_bytes",),
                    f"{_gb(acc.memory_bytes, 'GB')} ({_gib(acc.memory_bytes)}) differs by more than "
                    f"{MEMORY_TOLERANCE:.0%} from the known {best.name} ({best.id}: "
                    f"{_gib(best.memory_bytes)} usable{marketed}){hint}")]


def _gb_gib_mixup(value: float, sizes: list[float]) -> bool:
    return any(abs(value * 2**30 / 1e9 - s) <= MEMORY_TOLERANCE * s or
               abs(value * 1e9 / 2**30 - s) <= MEMORY_TOLERANCE * s for s in sizes)


def offering_findings(offering: Offering, acc: Accelerator | None, reference: Reference,
                      rates: dict[str, float]) -> list[Finding]:
    """Price per GPU-hour against the band, fabrics against known maxima and the GPU's link."""
    found = _price_findings(offering, acc, reference, rates) + _shadow_findings(offering, reference, rates)
    return found + offering_fabric_findings(offering, acc)


def _price_findings(o: Offering, acc: Accelerator | None, reference: Reference,
                    rates: dict[str, float]) -> list[Finding]:
    band = _price_band(acc, reference)
    if band is None:
        return []
    low, high, what = band
    prices: list[tuple[tuple[str | int, ...], float]] = [(("price_per_node_hour",), o.price_per_node_hour)]
    prices += [(("commitments", i, "price_per_node_hour"), c.price_per_node_hour) for i, c in enumerate(o.commitments)]
    found = []
    for path, price in prices:
        usd = _usd_per_gpu_hour(price, o, rates)
        if usd is None or low <= usd <= high:
            continue
        hint = ("a per-GPU price entered for the whole node, or a typo?" if usd < low
                else "a monthly price, or a node price with gpus_per_node too small?")
        found.append(Finding("offering", o.id, path,
                             f"{_usd(usd)} USD per GPU-hour is outside {_usd(low)}–{_usd(high)} USD "
                             f"({what}): {hint}"))
    return found


def _shadow_findings(o: Offering, reference: Reference, rates: dict[str, float]) -> list[Finding]:
    """An entry replacing a built-in offering far below its price: inside the band it still
    ranks first on a price nobody checked."""
    builtin = reference.offerings.get(o.id)
    if builtin is None or builtin is o:
        return []
    new = _usd_per_gpu_hour(o.price_per_node_hour, o, rates)
    old = _usd_per_gpu_hour(builtin.price_per_node_hour, builtin, rates)
    if new is None or old is None or new >= SHADOW_FLOOR * old:
        return []
    return [Finding("offering", o.id, ("price_per_node_hour",),
                    f"{_usd(new)} USD per GPU-hour is below {SHADOW_FLOOR:g}× the built-in {_usd(old)} USD "
                    f"it replaces ({new / old:.2g}×): check the source before trusting the ranking")]


def price_jump_findings(new: Iterable[Offering], previous: Mapping[str, Offering]) -> list[Finding]:
    """Prices that moved more than JUMP× either way since the previous import of the same id."""
    found = []
    for offering in new:
        old = previous.get(offering.id)
        if old is None or old.currency != offering.currency:
            continue
        for term, path in _term_paths(offering):
            before, after = old.price_for(term), offering.price_for(term)
            if before and after and not 1 / JUMP <= after / before <= JUMP:
                found.append(Finding("offering", offering.id, path,
                                     f"{term} price {before:g} → {after:g} {offering.currency}/h "
                                     f"({after / before:.2g}× the previous import): check the feed"))
    return found


def _term_paths(o: Offering) -> list[tuple[str, tuple[str | int, ...]]]:
    paths: list[tuple[str, tuple[str | int, ...]]] = [(o.price_term, ("price_per_node_hour",))]
    return paths + [(c.term, ("commitments", i, "price_per_node_hour")) for i, c in enumerate(o.commitments)]


def flagged_offerings(findings: Iterable[Finding]) -> tuple[str, ...]:
    """Ids of the offerings whose price drew a finding (outside the band, or far below the
    built-in it shadows), in first-seen order."""
    found: dict[str, None] = {}
    for f in findings:
        if f.kind == "offering" and f.key_path[:1] in (("price_per_node_hour",), ("commitments",)):
            found.setdefault(f.entry_id, None)
    return tuple(found)


def _price_band(acc: Accelerator | None, reference: Reference) -> tuple[float, float, str] | None:
    if acc is None:
        return None
    low, high = PRICE_BAND
    by_acc = reference.usd_per_gpu_hour.get(acc.id)
    if by_acc is not None:
        return low * by_acc, high * by_acc, f"{low:g}×–{high:g}× the built-in median {by_acc:.2f} for {acc.id}"
    by_family = reference.family_usd_per_gpu_hour.get(acc.family)
    if by_family is not None:
        return (low * by_family, high * by_family,
                f"{low:g}×–{high:g}× the built-in median {by_family:.2f} for the {acc.family} family")
    return (*ABSOLUTE_USD_PER_GPU_HOUR, "no built-in price for this GPU or its family")


def model_findings(model: ModelProfile) -> list[Finding]:
    """`total_params` against the count from the model's own shape."""
    from advisor.core.params import breakdown  # lazy: only when a model is checked

    p = breakdown(model)
    from_shape = p.embedding + p.lm_head + p.body / p.body_scale
    off = from_shape / model.total_params - 1.0
    if abs(off) <= PARAMS_TOLERANCE:
        return []
    return [Finding("model", model.id, ("total_params",),
                    f"{model.total_params / 1e9:,.2f}B parameters, but the shape (layers, hidden, heads, "
                    f"MLP, experts, vocab) gives {from_shape / 1e9:,.2f}B ({off:+.0%})")]


def api_price_finding(world: World, price: ApiPrice) -> Finding:
    """A price for a model no profile has (yet): a warning, not an error, so a price file
    written for models added later still loads; the price is unused until then."""
    return Finding("api_price", price.id, ("model",),
                   f"unknown model {price.model!r}{did_you_mean(price.model, world.models)}; the price is "
                   "not used until a model profile with that id exists")


def name_findings(world: World, layers: Collection[str] | None = None) -> list[Finding]:
    """Ids, names and aliases that another entry of the same kind already answers to."""
    found: list[Finding] = []
    tables = (("accelerator", world.accelerators), ("model", world.models), ("workload", world.workloads))
    for kind, table in tables:
        owner: dict[str, str] = {}
        for entry_id, entry in table.items():
            checked = layers is None or world.layer_of(kind, entry_id) in layers
            for name in _names(entry):
                key = normalize_name(name)
                first = owner.setdefault(key, entry_id)
                if first != entry_id and checked:
                    found.append(Finding(kind, entry_id, _name_field(entry, name),
                                         f"{name!r} also names {kind} {first} ({_where(world.origin(kind, first))}); "
                                         f"lookups by that name pick {first}"))
    return found


# -- findings to problems and to the user ----------------------------------------------------

def to_problems(findings: Iterable[Finding], world: World) -> list[Problem]:
    """Each finding at its entry's `file:line` (from `World.origins`)."""
    problems = []
    for f in findings:
        origin = world.origin(f.kind, f.entry_id) or Origin("?", BUILTIN)
        problems.append(Problem(origin.path, origin.line, dotted((f.kind, *f.key_path)), f"{f.entry_id}: {f.message}"))
    return problems


def pinpoint(problems: list[Problem], findings: list[Finding], world: World) -> list[Problem]:
    """Move each problem to the line of its key when the file is on disk (best effort)."""
    from advisor.catalog.toml_positions import KeyLines, header_lines

    texts: dict[str, str | None] = {}
    result = []
    for problem, f in zip(problems, findings, strict=True):
        origin = world.origin(f.kind, f.entry_id)
        text = _read(origin.path, texts) if origin and origin.line else None
        line = problem.line
        if text is not None and origin is not None:
            headers = header_lines(text, [f.kind])[f.kind]
            if origin.line in headers:
                line = KeyLines(text).line_of((f.kind, headers.index(origin.line), *f.key_path)) or line
        result.append(Problem(problem.file, line, problem.key, problem.message))
    return result


def _read(path: str, cache: dict[str, str | None]) -> str | None:
    from pathlib import Path

    if path not in cache:
        try:
            cache[path] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError):
            cache[path] = None
    return cache[path]


def sanity_problems(world: World, *, load_builtins: Callable[[], World],
                    layers: Collection[str] | None = None,
                    reference: Reference | None = None) -> list[Problem]:
    """Every sanity problem of the chosen layers' entries, at the line of its key
    (`load_builtins` gives the built-in reference when a team entry shadows a built-in)."""
    return sanity_report(world, load_builtins=load_builtins, layers=layers, reference=reference)[0]


def sanity_report(world: World, *, load_builtins: Callable[[], World],
                  layers: Collection[str] | None = None,
                  reference: Reference | None = None) -> tuple[list[Problem], tuple[str, ...]]:
    """The sanity problems (as `sanity_problems`) and the offerings whose price drew one."""
    if layers is not None and not any(o.layer in layers for o in world.origins.values()):
        return [], ()
    findings = check_world(world, reference or reference_for(world, load_builtins), layers=layers)
    problems = pinpoint(to_problems(findings, world), findings, world)
    return sorted(problems, key=lambda p: (p.file, p.line or 0)), flagged_offerings(findings)


# -- small helpers -----------------------------------------------------------------------

def _names(entry: Accelerator | ModelProfile | WorkloadProfile) -> list[str]:
    names = [entry.id]
    names += [n for n in (getattr(entry, "name", None),) if n]
    return names + list(getattr(entry, "aliases", ()))


def _name_field(entry: Accelerator | ModelProfile | WorkloadProfile, name: str) -> tuple[str | int, ...]:
    if name == entry.id:
        return ("id",)
    aliases = list(getattr(entry, "aliases", ()))
    return ("aliases", aliases.index(name)) if name in aliases else ("name",)


def _usd_per_gpu_hour(price: float, o: Offering, rates: dict[str, float]) -> float | None:
    rate = 1.0 if o.currency == "USD" else rates.get(o.currency)
    return None if rate is None else price * rate / o.gpus_per_node


def _where(origin: Origin | None) -> str:
    if origin is None:
        return "?"
    return f"{origin.path}:{origin.line}" if origin.line else origin.path


def _usd(amount: float) -> str:
    """Three significant digits without an exponent: 0.499, 16.9, 2,300."""
    return f"{amount:,.0f}" if amount >= 100 else f"{amount:.3g}"


def _gb(bytes_: float, unit: str = "GB/s") -> str:
    return f"{bytes_ / 1e9:,.4g} {unit}"


def _gib(bytes_: float | None) -> str:
    return f"{(bytes_ or 0) / 2**30:,.1f} GiB"
