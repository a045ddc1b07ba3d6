"""advisor.catalog.loaders / tomlsafe / tomlpos: every kind of problem names file, line and key, and all
problems of a file are reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from advisor.catalog.loaders import load_catalog_bytes, load_catalog_file
from advisor.catalog.toml_positions import KeyLines, header_lines
from advisor.errors import Problem

WORKLOAD = """\
[[workload]]
id = "chat-x"
name = "Chat X"
input_tokens = 1000
output_tokens = 200
max_context = 8192
concurrency = 8
"""


def problems_of(text: str | bytes, name: str = "team.toml") -> list[Problem]:
    data = text.encode() if isinstance(text, str) else text
    return list(load_catalog_bytes(data, name).problems)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [p.render() for p in problems]
    return problems[0]


# -- key lines -----------------------------------------------------------------------------

def test_key_lines_cover_tables_arrays_inline_and_dotted_keys() -> None:
    text = """\
# comment
[[offering]]
id = "a"
[[offering]]
id = "b"
moe.experts = 8
attention = [
  { kind = "full", layers = 2 },
  { kind = "sliding",
    layers = 3 },
]
s = \"\"\"multi
[[offering]]
\"\"\"
[[offering.commitments]]
term = "1-year"
[[offering.commitments]]
term = "3-year"
[[model]]
x = { a = 1, b = { c = 2 } }
"""
    lines = KeyLines(text)
    assert lines.line_of(("offering", 0)) == 2
    assert lines.line_of(("offering", 1, "id")) == 5
    assert lines.line_of(("offering", 1, "moe", "experts")) == 6
    assert lines.line_of(("offering", 1, "attention", 0, "kind")) == 8
    assert lines.line_of(("offering", 1, "attention", 1, "layers")) == 10
    assert lines.line_of(("offering", 1, "commitments", 1, "term")) == 18
    assert lines.line_of(("model", 0, "x", "b", "c")) == 20
    # Unknown tail: the longest known prefix.
    assert lines.line_of(("offering", 1, "attention", 1, "nope")) == 9
    # The fast header regex is fooled by a header inside a multi-line string; the loader
    # notices the count differs from the parsed array and uses the full scanner instead.
    assert header_lines(text, ["offering"])["offering"] == [2, 4, 13]
    assert lines.line_of(("offering", 1, "s")) == 12


# -- whole files ---------------------------------------------------------------------------

def test_good_fixture_loads_with_units_converted() -> None:
    loaded = load_catalog_file(FIXTURES / "gpu.toml")
    assert loaded.problems == ()
    by_kind = {e.kind: e for e in loaded.entries}
    gpu = by_kind["accelerator"].value
    assert gpu.memory_bytes == 96e9 and gpu.tdp_watts == 700.0
    assert gpu.dense_flops_per_s["fp8"] == pytest.approx(1.8e15)
    offer = by_kind["offering"].value
    assert (offer.price_per_node_hour, offer.currency) == (31.92, "EUR")
    assert offer.inter_bytes_per_s == 50e9
    assert by_kind["accelerator"].line == 3 and by_kind["offering"].line == 21
    assert loaded.as_of == "2025-06-01"


def test_three_problems_reported_at_once_with_lines() -> None:
    problems = list(load_catalog_file(FIXTURES / "bad_three.toml").problems)
    rendered = [p.render() for p in problems]
    path = str(FIXTURES / "bad_three.toml")
    assert f"{path}:8: accelerator.hbm_bandwith: unknown key (did you mean 'hbm_bytes_per_s'?)" in rendered
    assert f"{path}:9: accelerator.dense_flops_per_s.bf16: Input should be a finite number" in rendered
    assert any(r.startswith(f"{path}:12: accelerator.link_bytes_per_s: expected a bandwidth") for r in rendered)


def test_duplicate_key_names_both_lines() -> None:
    problem = only(list(load_catalog_file(FIXTURES / "duplicate_key.toml").problems))
    assert (problem.line, problem.key) == (6, "input_tokens")
    assert "first defined at line 4" in problem.message


def test_duplicate_table_names_the_line() -> None:
    problem = only(problems_of("[a]\nx = 1\n[a]\ny = 2\n"))
    assert problem.line == 3 and "first defined at line 1" in problem.message


def test_duplicate_id_in_one_file_names_both_lines() -> None:
    problem = only(problems_of(WORKLOAD + "\n" + WORKLOAD))
    assert problem.line == 9 and "duplicate id 'chat-x'" in problem.message
    assert "line 1" in problem.message


def test_unknown_top_level_table_suggests_the_kind() -> None:
    problem = only(problems_of(WORKLOAD.replace("[[workload]]", "[[workloads]]")))
    assert (problem.line, problem.key, problem.suggestion) == (1, "workloads", "workload")


def test_table_instead_of_array_of_tables() -> None:
    problem = only(problems_of(WORKLOAD.replace("[[workload]]", "[workload]")))
    assert "write [[workload]]" in problem.message and problem.line == 1


def test_nested_error_points_at_nested_line() -> None:
    text = WORKLOAD + 'percentile = "p42"\n'
    problem = only(problems_of(text))
    assert (problem.line, problem.key) == (8, "workload.percentile")


def test_model_level_rule_points_at_the_table() -> None:
    text = WORKLOAD.replace("max_context = 8192", "max_context = 100")
    problem = only(problems_of(text))
    assert problem.line == 1 and "exceed max_context" in problem.message


def test_string_price_error_points_at_price_line() -> None:
    text = (FIXTURES / "gpu.toml").read_text().replace('"31.92 EUR/h"', '"31.92 EUR/month"')
    problem = only(problems_of(text))
    assert (problem.line, problem.key) == (32, "offering.price_per_node_hour")
    assert "per hour" in problem.message


def test_currency_mismatch_between_price_and_currency() -> None:
    text = (FIXTURES / "gpu.toml").read_text().replace(
        'price_per_node_hour = "31.92 EUR/h"', 'price_per_node_hour = "31.92 EUR/h"\ncurrency = "USD"')
    problem = only(problems_of(text))
    assert "price is in EUR but currency = 'USD'" in problem.message


@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        (b"", None, "defines no entries"),
        (b"# only a comment\n", None, "defines no entries"),
        (b"\xef\xbb\xbf" + WORKLOAD.encode(), 1, "byte-order mark"),
        (WORKLOAD.encode("utf-16"), 1, "UTF-16"),
        (WORKLOAD.encode() + b"name2 = \"\xff\"\n", 8, "invalid UTF-8"),
        (b"\x7fELF\x02\x01\x00\x00", 1, "NUL bytes"),
        (b"x = 1\ny = [" * 1 + b"[" * 3000 + b"]" * 3000 + b"]\n", 2, "nesting deeper"),
        (b"x = " + b"9" * 5000 + b"\n", 1, "number too large"),
        (b"[[workload]]\nid = \"a\"\n=broken\n", 3, "invalid TOML"),
        (b"x = " + b"[" * 12 + b"]" * 12 + b"\n", 1, "nesting deeper"),
        (("k" * 150 + " = 1\n").encode(), 1, "key longer"),
        (b'x = "' + b"a" * 20_000 + b'"\n', 1, "string longer"),
        (b"x = [" + b"1," * 10_001 + b"]\n", 1, "more than 10000 items"),
        (b"a = 1\n" + b"#" * (3 * 2**20), None, "larger than 2 MiB"),
    ],
)
def test_hostile_bytes_give_one_problem_with_line(data: bytes, line: int | None, needle: str) -> None:
    problem = only(problems_of(data, "f.toml"))
    assert needle in problem.message
    assert problem.line == line
    assert problem.render().startswith("f.toml")


def test_header_inside_string_does_not_shift_entry_lines() -> None:
    text = WORKLOAD.replace('name = "Chat X"', 'name = "Chat X"\ndescription = """\n[[workload]]\n"""')
    (entry,) = load_catalog_bytes(text.encode(), "w.toml").entries
    assert entry.line == 1
    text = text + "\n" + WORKLOAD.replace("chat-x", "chat-y")
    assert [e.line for e in load_catalog_bytes(text.encode(), "w.toml").entries] == [1, 12]


def test_wrong_types_and_huge_numbers_are_field_problems() -> None:
    text = WORKLOAD.replace("concurrency = 8", "concurrency = 1e400").replace(
        "input_tokens = 1000", "input_tokens = true").replace('name = "Chat X"', "name = [1]")
    text += "output_tokens2 = 99999999999999999999999999999\n"
    rendered = [p.render() for p in problems_of(text)]
    assert any(r.startswith("team.toml:3: workload.name:") for r in rendered)
    assert any(r.startswith("team.toml:4: workload.input_tokens:") for r in rendered)
    assert any(r.startswith("team.toml:7: workload.concurrency:") for r in rendered)
    assert any(r.startswith("team.toml:8: workload.output_tokens2: unknown key") for r in rendered)


def test_unreadable_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    loaded = load_catalog_file(tmp_path / "missing.toml")
    assert "cannot read file" in only(list(loaded.problems)).message
    assert "folder" in only(list(load_catalog_file(tmp_path).problems)).message


# -- properties: problems, never exceptions ------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALUES = st.one_of(
    st.text(max_size=30).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers().map(str), st.floats().map(repr),
    st.sampled_from(["true", "[]", "{}", "[1, [2]]", '{ a = "b" }', "nan", "-inf", "1979-05-27",
                     '"80 GB"', '"3.99 USD/h"', '"10**9 GB"', '"32k"']),
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_problems_not_exceptions(data: bytes) -> None:
    loaded = load_catalog_bytes(data, "fuzz.toml")
    assert loaded.entries or loaded.problems


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(["memory_bytes", "hbm_bytes_per_s", "tdp_watts", "pcie_gen", "aliases",
                            "dense_flops_per_s", "as_of", "price_per_node_hour", "regions", "x"]),
       value=VALUES)
def test_any_value_in_a_valid_file_gives_entries_or_problems(key: str, value: str) -> None:
    text = (FIXTURES / "gpu.toml").read_text()
    changed = f"{key} = {value}\npcie_gen = 5" if key != "pcie_gen" else f"pcie_gen = {value}"
    text = text.replace("pcie_gen = 5", changed, 1)
    loaded = load_catalog_bytes(text.encode(), "fuzz.toml")
    for problem in loaded.problems:
        assert problem.render().startswith("fuzz.toml")
