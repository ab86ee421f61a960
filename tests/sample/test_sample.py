"""The bundled sample: size, determinism, a truth that matches its log, a loadable study."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rapidfuzz import fuzz

from l2csim.log import LogSource, read_log
from l2csim.pm4py_adapter import pm4py
from l2csim.sample import generate_sample, write_sample
from l2csim.study import load_study

REPO_ROOT = Path(__file__).resolve().parents[2]
FILES = (
    "event_logs/sample_orders.csv",
    "event_logs/sample_truth.json",
    "event_logs/sample_crm_tiers.csv",
    "scenarios/study.yaml",
    "scenarios/documented_process.bpmn",
    *(
        f"scenarios/{name}.yaml"
        for name in (
            "baseline",
            "earliest_promise",
            "key_account_calls",
            "one_more_cs_agent",
            "rekeying_halved",
            "tier_priority",
        )
    ),
)
COLUMNS = [
    "order_ref",
    "event",
    "event_time",
    "performed_by",
    "cust_no",
    "cust_name",
    "product_line",
    "order_value",
    "promised_by",
    "channel",
    "team",
]
TIERS = ("key_account", "priority", "occasional", "one_time")


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default sample (seed 42, a year), written once for the whole module."""
    folder = tmp_path_factory.mktemp("sample")
    written = write_sample(folder, 42)
    assert sorted(p.relative_to(folder).as_posix() for p in written) == sorted(FILES)
    return folder


@pytest.fixture(scope="module")
def log(year: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        year / FILES[0], dtype={"cust_no": str, "order_ref": str}, keep_default_na=False
    )
    frame["time"] = pd.to_datetime(frame["event_time"], format="ISO8601", utc=True)
    return frame


@pytest.fixture(scope="module")
def truth(year: Path) -> dict:
    return json.loads((year / FILES[1]).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases(log: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Per order, recomputed from the CSV alone plus the truth's customer→tier list."""
    tier_of = {c["cust_no"]: c["tier"] for c in truth["customers"]}
    named = log[log["cust_no"] != ""]
    table = log.groupby("order_ref")[["product_line", "channel", "team"]].first()
    table["tier"] = named.groupby("order_ref")["cust_no"].first().map(tier_of)
    counts = pd.crosstab(log["order_ref"], log["event"])
    return table.join(counts)


def _share(flags: pd.Series) -> float:
    return float(flags.mean())


def test_default_year_has_the_promised_size_and_columns(
    year: Path, log: pd.DataFrame, truth: dict
) -> None:
    assert 30_000 <= len(log) <= 80_000
    assert list(log.columns[:-1]) == COLUMNS
    assert truth["period"]["events"] == len(log)
    assert log["event_time"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d").all()
    text = pd.read_csv(year / FILES[0], dtype=str, usecols=["order_value", "promised_by"])
    assert text["order_value"].str.fullmatch(r"\d+\.\d\d").all()
    assert text["promised_by"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert set(log["channel"]) == {"EDI", "e-mail", "phone"}
    assert set(log["team"]) == {"OM-North", "OM-Spares", "Projects"}
    # Order by order, as an ERP exports its history; within an order, time goes forward
    # except where a wrong timestamp was planted.
    assert log["order_ref"].is_monotonic_increasing
    steps_back = log.groupby("order_ref")["time"].diff().dt.total_seconds() < 0
    assert steps_back.sum() == len(truth["data_quality"]["timestamp_order_faults"])


def test_staff_work_only_in_their_calendar_hours(log: pd.DataFrame, truth: dict) -> None:
    """Office staff Mon-Fri 08-17, warehouse 06-22 (Berlin time, summer and winter)."""
    local = log["time"].dt.tz_convert("Europe/Berlin")
    minutes = local.dt.hour * 60 + local.dt.minute + local.dt.second / 60
    weekday = local.dt.dayofweek < 5
    faulty = pd.Series(False, index=log.index)
    for fault in truth["data_quality"]["timestamp_order_faults"]:
        faulty |= (log["order_ref"] == fault["order_ref"]) & (log["event"] == fault["event"])
    warehouse = log["event"].isin(["Pick and pack", "Shipped"])
    system = log["event"].str.lower().str.split().str.join(" ").eq("order received")
    office = ~warehouse & ~system
    assert (weekday[office] & minutes[office].between(8 * 60, 17 * 60)).all()
    in_hours = weekday & minutes.between(6 * 60, 22 * 60)
    assert in_hours[warehouse & ~faulty].all()
    assert (local.dt.hour < 8)[warehouse].any()  # early shift picks the night's orders
    # EDI orders arrive at any hour, weekends included.
    edi = system & (log["channel"] == "EDI")
    assert (~weekday[edi]).any() and (local[edi].dt.hour < 6).any()
    # Summer time: offsets change, office hours stay local.
    assert log["event_time"].str.endswith("+02:00").any()


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_sample(first, 7, days=90)
    write_sample(again, 7, days=90)
    write_sample(other, 8, days=90)
    for name in FILES:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert (first / FILES[0]).read_bytes() != (other / FILES[0]).read_bytes()
    assert (first / FILES[1]).read_bytes() != (other / FILES[1]).read_bytes()


def test_courtesy_call_rates_match_the_log(cases: pd.DataFrame, truth: dict) -> None:
    calls = cases["Courtesy call"]
    for tier in TIERS:
        in_tier = cases["tier"] == tier
        expected = truth["courtesy_calls"][tier]["share_of_orders_with_call"]
        assert _share(calls[in_tier] > 0) == pytest.approx(expected, abs=1e-5)
    for tier, milestones in (
        ("key_account", ["Order confirmed", "Shipped", "Delivered"]),
        ("priority", ["Shipped", "Delivered"]),
    ):
        in_tier = cases["tier"] == tier
        owed = cases.loc[in_tier, milestones].to_numpy().sum()
        missing = 1 - calls[in_tier].sum() / owed
        assert missing == pytest.approx(
            truth["courtesy_calls"][tier]["owed_calls_missing_share"], abs=1e-5
        )
    # The planted story: one-time buyers get the calls key accounts are owed.
    assert 0.45 <= truth["courtesy_calls"]["one_time"]["share_of_orders_with_call"] <= 0.65
    assert truth["courtesy_calls"]["key_account"]["owed_calls_missing_share"] >= 0.4


def test_rework_skip_violation_and_informal_rates_match_the_log(
    log: pd.DataFrame, cases: pd.DataFrame, truth: dict
) -> None:
    rework = cases["Correct order data"] > 0
    for line, expected in truth["rework"]["by_product_line"].items():
        assert _share(rework[cases["product_line"] == line]) == pytest.approx(expected, abs=1e-5)
    for channel, expected in truth["rework"]["by_channel"].items():
        assert _share(rework[cases["channel"] == channel]) == pytest.approx(expected, abs=1e-5)
    by_channel = truth["rework"]["by_channel"]
    assert by_channel["e-mail"] > by_channel["EDI"] + 0.05
    assert truth["rework"]["rekeyed_customers"] > truth["rework"]["other_customers"] + 0.1

    skipped = cases["Credit check"] == 0
    for line, expected in truth["skipped_steps"]["Credit check"].items():
        assert _share(skipped[cases["product_line"] == line]) == pytest.approx(expected, abs=1e-5)
    assert truth["skipped_steps"]["Credit check"]["Spare parts"] > 0.3

    first = log.groupby(["order_ref", "event"])["time"].min().unstack()
    violated = first["Order confirmed"] > first["Pick and pack"]
    for line, expected in truth["order_violations"]["Order confirmed after Pick and pack"].items():
        in_line = cases["product_line"] == line
        assert _share(violated.reindex(cases.index)[in_line]) == pytest.approx(expected, abs=1e-5)

    for team, activities in truth["informal_activities"].items():
        in_team = cases["team"] == team
        for activity, expected in activities.items():
            assert _share(cases.loc[in_team, activity] > 0) == pytest.approx(expected, abs=1e-5)
    assert truth["informal_activities"]["Projects"]["Technical clarification"] > 0.5


def test_chase_calls_and_sla_match_the_log(
    log: pd.DataFrame, cases: pd.DataFrame, truth: dict
) -> None:
    chases = cases["Customer chase call"]
    delivered = log[log["event"] == "Delivered"].set_index("order_ref")
    late = delivered["event_time"].str[:10] > delivered["promised_by"]
    for tier in TIERS:
        in_tier = cases["tier"] == tier
        expected = truth["chase_calls"]["by_tier"][tier]["per_order"]
        assert float(chases[in_tier].mean()) == pytest.approx(expected, abs=1e-5)
        expected_late = truth["sla"][tier]["late_share"]
        assert _share(late.reindex(cases.index)[in_tier]) == pytest.approx(expected_late, abs=1e-5)
    assert chases.sum() == truth["chase_calls"]["total"] > 0


def test_data_quality_faults_are_in_the_log(log: pd.DataFrame, truth: dict) -> None:
    quality = truth["data_quality"]
    plain = log.drop(columns="time")
    assert int(plain.duplicated().sum()) == quality["exact_duplicate_events"] > 0
    for variant, count in quality["activity_name_variants"]["Order received"].items():
        assert int((log["event"] == variant).sum()) == count > 0
    without = log[log["order_ref"].isin(quality["cases_without_customer"])]
    assert len(quality["cases_without_customer"]) > 0
    assert (without["cust_no"] == "").all() and (without["cust_name"] == "").all()
    assert (
        log.loc[log["cust_no"] == "", "order_ref"].isin(quality["cases_without_customer"])
    ).all()
    for fault in quality["timestamp_order_faults"]:
        case = log[log["order_ref"] == fault["order_ref"]].set_index("event")["time"]
        assert case[fault["event"]] < case[fault["before_event"]]


def test_rekeyed_customers_and_orders_appear_in_the_log(log: pd.DataFrame, truth: dict) -> None:
    numbers = set(log["cust_no"])
    assert len(truth["rekeyed_customers"]) >= 12
    for pair in truth["rekeyed_customers"]:
        assert pair["master"] in numbers and pair["duplicate"] in numbers, pair
        assert pair["master_name"] != pair["duplicate_name"]
        assert fuzz.token_set_ratio(pair["master_name"], pair["duplicate_name"]) >= 85
    changing = log.groupby("order_ref")[["cust_no", "order_value"]].nunique()
    changed = set(changing.index[(changing > 1).any(axis=1)])
    assert changed == {o["order_ref"] for o in truth["rekeyed_orders"]}
    assert any(ch["attribute"] == "cust_no" for o in truth["rekeyed_orders"] for ch in o["changes"])


def test_stopped_key_accounts_and_churned_customers_stop_ordering(
    log: pd.DataFrame, truth: dict
) -> None:
    first = log.sort_values("time", kind="stable").groupby("order_ref").first()
    first = first[first["cust_no"] != ""]
    master = {c["cust_no"]: c["master"] for c in truth["customers"]}
    first["customer"] = first["cust_no"].map(master)
    placed = first["event_time"].str[:10]
    assert 3 <= len(truth["stopped_key_accounts"]) <= 4
    for stopped in truth["stopped_key_accounts"]:
        theirs = placed[first["customer"] == stopped["cust_no"]]
        assert len(theirs) >= 5
        assert (theirs < stopped["stop_date"]).all()
        assert theirs.max() == stopped["last_order_date"]
    assert len(truth["churned_customers"]) >= 5
    for churned in truth["churned_customers"]:
        theirs = placed[first["customer"] == churned["cust_no"]]
        assert (theirs <= churned["date"]).all()
        experience = churned["experience"]
        assert experience["late_orders"] + experience["chase_calls"] > 0


def test_crm_tiers_are_mostly_right(year: Path, truth: dict) -> None:
    crm = pd.read_csv(year / FILES[2], dtype=str, keep_default_na=False)
    true_tier = {c["cust_no"]: c["tier"] for c in truth["customers"]}
    wrong = crm[crm["crm_tier"] != crm["cust_no"].map(true_tier)]
    assert set(wrong["cust_no"]) == {w["cust_no"] for w in truth["crm"]["wrong_tiers"]}
    assert 0.05 <= len(wrong) / len(crm) <= 0.15


def test_study_folder_loads_and_the_log_reads(year: Path, log: pd.DataFrame) -> None:
    study = load_study(year / "scenarios" / "study.yaml")
    assert study.segments == ["product_line"]
    assert study.roles.chase_call == ["Customer chase call"]
    read = read_log(LogSource.from_study(study))
    assert read.n_events == len(log)
    assert read.events["time:timestamp"].notna().all()
    assert str(read.events["time:timestamp"].dt.tz) == "UTC"
    assert (read.events["time:timestamp"].to_numpy() == log["time"].to_numpy()).all()


def test_reference_process_loads_converts_and_replays(year: Path) -> None:
    study = load_study(year / "scenarios" / "study.yaml")
    pm = pm4py()
    bpmn = pm.read_bpmn(str(study.reference_process_path))
    net, initial, final = pm.convert_to_petri_net(bpmn)
    labels = {t.label for t in net.transitions if t.label}
    assert {"Order received", "Key in order", "Credit check", "Courtesy call"} <= labels
    events = read_log(LogSource.from_study(study)).events
    fitness = pm.fitness_token_based_replay(events, net, initial, final)
    assert 0.8 < fitness["log_fitness"] < 1.0  # deviations are planted, but the flow fits


def test_generate_sample_refuses_a_too_short_period() -> None:
    with pytest.raises(ValueError, match="at least 28"):
        generate_sample(days=7)


@pytest.mark.skipif(
    not (REPO_ROOT / FILES[0]).exists(), reason="the shipped sample is not in this checkout"
)
def test_shipped_sample_equals_a_fresh_generation(year: Path) -> None:
    for name in FILES:
        assert (REPO_ROOT / name).read_bytes() == (year / name).read_bytes(), name
