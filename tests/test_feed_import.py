"""`advisor catalog import skypilot`: real stored feed rows per provider become offerings that
quote, with fabric facts from the family table or marked inferred; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from remote_server import Reply, ScriptedServer

from advisor.catalog.config import builtin_world
from advisor.catalog.feeds.skypilot import FeedImport, FeedSource, import_feed
from advisor.catalog.loaders import load_catalog_file
from advisor.cli import main

FEEDS = Path(__file__).parent / "fixtures" / "skypilot"


@pytest.fixture(scope="module")
def world() -> Any:
    return builtin_world()


def imported(world: Any, cloud: str) -> FeedImport:
    path = FEEDS / cloud / "vms.csv"
    return import_feed(path.read_bytes(), FeedSource(cloud, str(path), "fixture", "2026-12-07"), world.accelerators)


def by_id(result: FeedImport) -> dict[str, Any]:
    return {o.id: o for o in result.offerings}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--no-discover", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def team_config(tmp_path: Path) -> Path:
    config = tmp_path / "advisor.toml"
    config.write_text('catalogs = ["prices.toml"]\n', encoding="utf-8")
    return config


def test_aws_fabric_comes_from_the_family_table_and_v100_is_reported(world: Any) -> None:
    result = imported(world, "aws")
    offers = by_id(result)
    p5 = offers["aws/p5.48xlarge"]
    assert (p5.accelerator, p5.gpus_per_node, p5.intra_fabric, p5.nvls) == ("h100-sxm", 8, "nvswitch", True)
    assert (p5.inter_fabric, p5.inter_bytes_per_s, p5.max_nodes) == ("efa", 400e9, 64)
    assert p5.price_per_node_hour == 55.04  # the cheapest region; the dearer ones are in the notes
    assert "ap-northeast-1 68.8" in p5.notes and set(p5.regions) >= {"us-east-1", "eu-north-1"}
    assert offers["aws/p4d.24xlarge"].accelerator == "a100-40gb-sxm"  # 'A100' + 40960 MiB
    assert offers["aws/p4de.24xlarge"].accelerator == "a100-80gb-sxm"
    assert result.inferred == []
    assert any("p3dn.24xlarge" in p and "unknown accelerator 'V100-32GB'" in p for p in result.problems)


def test_aws_spot_is_the_median_of_positive_spot_rows_with_a_preemption_note(world: Any) -> None:
    p5 = by_id(imported(world, "aws"))["aws/p5.48xlarge"]
    # spot rows 24.8609, 20.2439, 55.04, 14.582, 15.5483, 21.6229 (eu-north-1 az1 has none)
    assert p5.price_for("spot") == pytest.approx(20.9334)
    assert "reclaim" in p5.notes


def test_lambda_reads_the_form_from_the_instance_name(world: Any) -> None:
    offers = by_id(imported(world, "lambda"))
    assert offers["lambda/gpu-1x-h100-pcie"].accelerator == "h100-pcie"
    assert offers["lambda/gpu-1x-h100-sxm5"].accelerator == "h100-sxm"
    eight = offers["lambda/gpu-8x-b200-sxm6"]
    assert (eight.accelerator, eight.intra_fabric, eight.nvls) == ("b200", "nvswitch", True)
    assert eight.intra_bytes_per_s == 900e9
    assert offers["lambda/gpu-1x-gh200"].accelerator == "gh200-96gb"
    assert all(o.price_for("spot") is None for o in offers.values())  # Lambda sells no spot


def test_runpod_unknown_family_gets_the_conservative_reading_marked_inferred(world: Any) -> None:
    result = imported(world, "runpod")
    offers = by_id(result)
    two = offers["runpod/2x-a100-80gb-secure"]
    assert two.accelerator == "a100-80gb-pcie"  # 'A100 PCIe' with a memory written as 80 'MiB'
    assert (two.intra_fabric, two.inter_fabric, two.max_nodes, two.tenancy) == ("pcie", "none", 1, "container")
    assert sorted(result.inferred) == sorted(offers)
    assert "fabric inferred" in two.notes


def test_gcp_pairs_host_rows_with_their_gpu_rows_region_by_region(world: Any) -> None:
    offers = by_id(imported(world, "gcp"))
    a3 = offers["gcp/a3-highgpu-8g"]
    assert (a3.accelerator, a3.gpus_per_node) == ("h100-sxm", 8)
    # fixture rows: host a3-highgpu-8g us-central1 9.46006 (spot 2.88933), 'H100',8 us-central1 33.60609
    # (spot 23.9408), the 8-GPU row being 8 x the 1-GPU row 4.20076; europe-west4 9.93306 + 101.88413
    assert a3.price_per_node_hour == pytest.approx(9.46006 + 8 * 4.20076, abs=1e-4)  # host + 8 x one GPU
    assert a3.price_per_node_hour == pytest.approx(9.46006 + 33.60609)  # 43.06615, the lower region
    assert a3.regions == ("europe-west4", "us-central1")
    assert "europe-west4 111.817" in a3.notes
    spot = [(2.27469 + 23.2896), (2.88933 + 23.9408)]  # median of the two paired spot rows: 26.19721
    assert a3.commitments[0].price_per_node_hour == pytest.approx(sum(spot) / 2)
    assert (a3.intra_fabric, a3.inter_fabric) == ("nvswitch", "tcpx")


def test_gcp_a_region_missing_either_side_is_skipped(world: Any) -> None:
    result = imported(world, "gcp")
    offers = by_id(result)
    mega = offers["gcp/a3-megagpu-8g"]  # its asia-east1 host row has no 'H100-MEGA' row there
    assert mega.regions == ("us-central1",)
    assert mega.price_per_node_hour == pytest.approx(9.46006 + 82.75421)
    a2 = offers["gcp/a2-highgpu-8g"]  # 'A100' x8, the 40 GB SXM board, fabric from the family table
    assert (a2.accelerator, a2.intra_fabric) == ("a100-40gb-sxm", "nvswitch")
    assert a2.price_per_node_hour == pytest.approx(12.90919 + 6.51251)  # europe-west4 19.4217 < us 29.38708
    ultra = offers["gcp/a3-ultragpu-8g"]
    assert (ultra.accelerator, ultra.inter_fabric) == ("h200-sxm", "roce")
    assert ultra.price_per_node_hour == pytest.approx(12.266 + 74.49392)
    assert "gcp/a4-highgpu-8g" not in offers  # the host row's price is 0.0: never used
    assert any("a4-highgpu-8g: no usable on-demand price" in p for p in result.problems)
    # the three TPU rows and the 1-GPU 'A100' row (no a2-highgpu-1g host in the fixture) pair with nothing
    assert result.unpaired == 4
    assert any("4 accelerator rows have no instance type" in p for p in result.problems)


def test_azure_v6_nd_h100_v5_is_8_h100_sxm_on_infiniband_from_the_family_table(world: Any) -> None:
    result = imported(world, "azure")
    offers = by_id(result)
    nd = offers["azure/standard-nd96isr-h100-v5"]
    # the v6 feed says AcceleratorCount 12; Microsoft's ND H100 v5 page says 8 GPUs, 3.2 Tb/s per VM
    assert (nd.accelerator, nd.gpus_per_node) == ("h100-sxm", 8)
    assert any("AcceleratorCount 12, but the instance has 8 GPUs" in p for p in result.problems)
    assert (nd.intra_fabric, nd.nvls, nd.inter_fabric) == ("nvswitch", True, "infiniband")
    assert nd.inter_bytes_per_s == pytest.approx(3200e9 / 8)  # 3.2 Tb/s in bytes per second
    assert "ndh100v5-series" in nd.notes
    assert nd.price_per_node_hour == 98.32  # eastus and eastus2; westus 127.816
    assert nd.regions == ("eastus", "eastus2", "westus")
    assert nd.commitments == ()  # SpotPrice equals Price in every row: a placeholder, not a spot market
    assert offers["azure/standard-nc96ads-a100-v4"].accelerator == "a100-80gb-pcie"
    assert offers["azure/standard-nd96asr-v4"].accelerator == "a100-40gb-sxm"
    a100 = offers["azure/standard-nc24ads-a100-v4"]  # spot: median of two rows, rounded to 6 places
    assert a100.commitments[0].price_per_node_hour == pytest.approx((0.444433 + 0.40403) / 2, abs=1e-6)
    assert result.inferred == []


@pytest.mark.parametrize(("cloud", "offering", "price"), [
    ("gcp", "gcp/a3-highgpu-8g", 43.06615),  # host 9.46006 + 8 GPUs 33.60609, us-central1
    ("azure", "azure/standard-nd96isr-h100-v5", 98.32),
])
def test_an_imported_cloud_quotes(capsys: pytest.CaptureFixture[str], tmp_path: Path, cloud: str, offering: str,
                                  price: float) -> None:
    prices = tmp_path / "prices.toml"
    code, _, err = run(capsys, "catalog", "import", "skypilot", str(FEEDS / cloud / "vms.csv"),
                       "--as-of", "2026-12-07", "--write", str(prices))
    assert code == 0, err
    assert run(capsys, "check", str(prices))[0] == 0
    code, out, err = run(capsys, "--config", str(team_config(tmp_path)), "quote", "--model", "70b",
                         "--ctx", "8k", "--format", "json", "--all")
    assert code == 0, err
    row = next(r for r in json.loads(out)["results"] if r["offering"] == offering)
    assert row["feasible"]
    assert row["usd_per_node_hour"] == pytest.approx(price)


@pytest.mark.parametrize("cloud", ["aws", "lambda", "runpod"])
def test_written_team_catalog_passes_check_and_quotes(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      cloud: str) -> None:
    prices = tmp_path / "prices.toml"
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(FEEDS / cloud / "vms.csv"),
                         "--as-of", "2026-12-07", "--write", str(prices))
    assert code == 0, err
    loaded = load_catalog_file(prices)
    assert not loaded.problems and loaded.entries
    code, out, err = run(capsys, "check", str(prices))
    assert code == 0, err
    code, out, err = run(capsys, "--config", str(team_config(tmp_path)), "quote", "--model", "8b",
                         "--ctx", "8k", "--format", "json", "--all")
    assert code == 0, err
    ranked = {r["offering"] for r in json.loads(out)["results"] if r["feasible"]}
    assert ranked & {e.id for e in loaded.entries}


def test_quote_with_term_spot_ranks_by_spot_prices_and_says_so(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    assert run(capsys, "catalog", "import", "skypilot", str(FEEDS / "aws" / "vms.csv"),
               "--as-of", "2026-12-07", "--write", str(prices))[0] == 0
    code, out, err = run(capsys, "--config", str(team_config(tmp_path)), "quote", "--model", "70b",
                         "--ctx", "8k", "--term", "spot", "--all", "--format", "json")
    assert code == 0, err
    quote = json.loads(out)
    p5 = next(r for r in quote["results"] if r["offering"] == "aws/p5.48xlarge")
    assert p5["price"]["term"] == "spot"
    assert p5["usd_per_node_hour"] == pytest.approx(20.9334)
    assert any(a["value"].startswith("spot") and "reclaim" in a["value"]
               for a in quote["assumptions"] if a["name"] == "price term")


def test_reimport_warns_about_jumped_prices_naming_the_offering(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    feed = tmp_path / "lambda" / "vms.csv"
    feed.parent.mkdir()
    feed.write_bytes((FEEDS / "lambda" / "vms.csv").read_bytes())
    assert run(capsys, "catalog", "import", "skypilot", str(feed), "--write", str(prices))[0] == 0
    feed.write_text(feed.read_text().replace(",23.92,", ",2.392,").replace(",1.49,", ",1.59,"))
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(feed), "--write", str(prices))
    assert code == 0
    assert "lambda/gpu-8x-h100-sxm5: on-demand price 23.92 → 2.392" in err
    assert "gpu-1x-gh200: on-demand" not in err  # 1.49 → 1.59 is an ordinary change


def test_missing_column_is_one_line_with_did_you_mean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = tmp_path / "aws" / "vms.csv"
    feed.parent.mkdir()
    feed.write_text("InstanceType,AcceleratorName,AcceleratorCount,Prices,Region\np5.48xlarge,H100,8,55.04,us-east-1\n")
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(feed))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert f"{feed}:1: missing column 'Price' (did you mean column 'Prices'?)" in err


def test_a_feed_whose_cloud_cannot_be_told_asks_for_cloud(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("vms.csv").write_bytes((FEEDS / "lambda" / "vms.csv").read_bytes())
    code, out, err = run(capsys, "catalog", "import", "skypilot", "vms.csv")
    assert code == 2 and "--cloud" in err
    assert run(capsys, "catalog", "import", "skypilot", "vms.csv", "--cloud", "lambda")[0] == 0


def test_url_is_fetched_cached_and_used_offline(capsys: pytest.CaptureFixture[str], server: ScriptedServer,
                                                cache_dir: Path) -> None:
    body = (FEEDS / "runpod" / "vms.csv").read_bytes()
    url = server.url("/catalogs/v8/runpod/vms.csv")
    server.script(Reply(200, body, {"Content-Type": "text/csv"}))
    code, out, err = run(capsys, "catalog", "import", "skypilot", url, "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    assert {r["id"] for r in first} == {"runpod/1x-a100-80gb-secure", "runpod/2x-a100-80gb-secure",
                                        "runpod/4x-a100-80gb-secure"}
    code, out, err = run(capsys, "--offline", "catalog", "import", "skypilot", url, "--format", "json")
    assert code == 0 and json.loads(out) == first and "offline" in err


HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n"
B200 = "\"{'Gpus': [{'Name': 'B200', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 184320}}]}\""
H200 = "\"{'Gpus': [{'Name': 'H200', 'Count': 8, 'MemoryInfo': {'SizeInMiB': 143360}}]}\""


def feed_of(world: Any, rows: str) -> FeedImport:
    return import_feed((HEADER + rows).encode(), FeedSource("lambda", "vms.csv", "test", "2026-12-07"),
                       world.accelerators)


def test_zero_and_absent_prices_are_never_used(world: Any) -> None:
    result = feed_of(world, f"gpu_8x_h200,H200,8,208,1800,0,us-east-1,{H200},\n"
                            f"gpu_8x_h200,H200,8,208,1800,,us-west-1,{H200},\n")
    assert result.offerings == []
    assert any("vms.csv:2: Price: 0 is not a usable price" in p for p in result.problems)
    assert any("vms.csv:3: Price: absent is not a usable price" in p for p in result.problems)
    assert any("gpu_8x_h200: no usable on-demand price" in p for p in result.problems)


def test_a_zero_row_leaves_the_other_regions_price_and_a_zero_spot_is_ignored(world: Any) -> None:
    result = feed_of(world, f"gpu_8x_h200,H200,8,208,1800,0,us-east-1,{H200},0\n"
                            f"gpu_8x_h200,H200,8,208,1800,28.0,us-west-1,{H200},0\n")
    (offer,) = result.offerings
    assert offer.price_per_node_hour == 28.0 and offer.regions == ("us-west-1",)
    assert offer.price_for("spot") is None
    assert any("SpotPrice: 0 is not a usable price" in p for p in result.problems)


def test_a_tiny_price_is_imported_but_warned_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = tmp_path / "lambda" / "vms.csv"
    feed.parent.mkdir()
    feed.write_text(HEADER + f"gpu_8x_b200,B200,8,208,2900,0.01,us-east-1,{B200},\n")
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(feed))
    assert code == 0 and "lambda/gpu-8x-b200" in out
    assert "lambda/gpu-8x-b200: 0.00125 USD per GPU-hour is outside" in err


def test_mithril_real_tiny_prices_are_warned_and_left_out_of_a_shipped_import(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "feed.toml"
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(FEEDS / "mithril" / "vms.csv"),
                         "--leave-out-suspect", "--write", str(out_file), "--format", "json")
    assert code == 0, err
    assert "mithril/neb-b200.sxm.8x: 0.01 USD per GPU-hour is outside" in err  # 0.08 USD/h for 8 B200s
    kept = {e.id for e in load_catalog_file(out_file).entries}
    assert kept == {"mithril/h100-80gb.sxm.8x", "mithril/h200.8x"}


def test_generated_feed_catalogs_cite_a_feed_commit_and_a_date() -> None:
    from advisor.catalog.config import load_world

    world = load_world(discover=False)
    feed = [o for o in world.offerings.values()
            if o.source.startswith("github.com/skypilot-org/skypilot-catalog/blob/")]
    assert len(feed) >= 40 and {o.provider for o in feed} >= {"Cudo", "Hyperbolic", "JarvisLabs"}
    for offering in feed:
        assert str(offering.as_of) == "2026-12-07"
    hand = {(o.provider, o.sku) for o in world.offerings.values() if o not in feed}
    assert not hand & {(o.provider, o.sku) for o in feed}  # dedup'd against the hand-written files
    assert len(world.offerings) >= 150 and len({o.provider for o in world.offerings.values()}) >= 25


def test_an_oversized_field_is_refused_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    feed = tmp_path / "lambda" / "vms.csv"
    feed.parent.mkdir()
    feed.write_text(HEADER + "gpu_8x_h100," + "H" * 5000 + ",8,208,1800,23.92,us-east-1,,\n")
    code, out, err = run(capsys, "catalog", "import", "skypilot", str(feed))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{feed}:2: a field is longer than 4096 characters" in err


def test_a_missing_local_feed_is_named_before_its_cloud(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Regression: a mistyped path used to be answered with 'cannot tell which cloud this feed
    lists; give --cloud', sending the user after the wrong flag."""
    missing = tmp_path / "vms.csv"
    code, _, err = run(capsys, "catalog", "import", "skypilot", str(missing))
    assert code == 2
    assert err.strip().splitlines()[-1] == f"advisor: {missing}: cannot read: No such file or directory"
