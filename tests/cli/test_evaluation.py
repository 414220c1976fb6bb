"""evaluate's metrics on a history small enough to work out by hand; optimize against a
simulated learner (held-out cards); simulate's numbers and chart; the FSRS part of stats and
export."""

from __future__ import annotations

import io
import itertools
import json
import math
from datetime import date
from pathlib import Path

import pytest
from fsrs_helpers import TRUE_PARAMETERS, simulated_history
from helpers import run
from rich.console import Console

from mlcards.config import load_settings, save_setting
from mlcards.evaluation import (
    MIN_OPTIMIZE_REVIEWS,
    Prediction,
    auc,
    graded_histories,
    log_loss,
    metrics,
    predictions,
    rmse_bins,
)
from mlcards.render.fsrs import simulation_view, sparkline
from mlcards.schedulers import by_name
from mlcards.schedulers.fsrs import FSRS
from mlcards.services.scheduling import histories, optimize
from mlcards.store import Store

D = date(2026, 1, 1)


def rows(*answers: tuple[str, int, int]) -> list[dict[str, object]]:
    """Log rows: (card, day of January, quality), in order."""
    return [
        {
            "id": i,
            "deck_id": "d",
            "card_id": card,
            "study_day": date(2026, 1, day).isoformat(),
            "quality": quality,
            "same_day_repeat": 0,
        }
        for i, (card, day, quality) in enumerate(answers, start=1)
    ]


TINY = rows(("x", 1, 4), ("y", 1, 4), ("y", 2, 0), ("x", 3, 4), ("x", 10, 1))


def test_sm2_predictions_and_metrics_by_hand() -> None:
    sm2 = by_name("sm2")
    found = predictions(graded_histories(TINY, {}), lambda _: sm2)
    # y on the 2nd: 1 day after a first success (interval 1): 0.9; x on the 3rd: 2 days: 0.81;
    # x on the 10th: 7 days into a 6-day interval: 0.9^(7/6)
    assert [(p.card_id, p.elapsed, p.review, round(p.p, 6), p.y) for p in found] == [
        ("y", 1, 2, 0.9, 0),
        ("x", 2, 2, 0.81, 1),
        ("x", 7, 3, round(0.9 ** (7 / 6), 6), 0),
    ]
    p7 = 0.9 ** (7 / 6)
    assert log_loss(found) == pytest.approx(
        -(math.log(0.1) + math.log(0.81) + math.log(1 - p7)) / 3
    )
    # the one remembered answer got the lowest prediction: AUC 0
    assert auc(found) == 0.0
    # bins: (elapsed 1 and 2 -> 2.48, review 2 -> 4, no lapse) holds y and x-on-the-3rd;
    # (elapsed 7 -> 8.98, review 3 -> 4, no lapse) holds x-on-the-10th
    expected = math.sqrt((2 * (0.5 - (0.9 + 0.81) / 2) ** 2 + (0 - p7) ** 2) / 3)
    assert rmse_bins(found) == pytest.approx(expected)
    m = metrics(found)
    assert m.reviews == 3 and m.retention == pytest.approx(1 / 3)


def test_first_answers_repeats_and_resets_are_not_predicted() -> None:
    log = rows(("x", 1, 4), ("x", 1, 4), ("x", 2, 4), ("x", 5, 4))
    log[1]["same_day_repeat"] = 1
    found = graded_histories(log, {("d", "x"): 3})  # a changed answer after review 3
    assert found == {("d", "x"): [(date(2026, 1, 5), 4)]}
    assert predictions(found, lambda _: by_name("sm2")) == []
    assert metrics([]).log_loss is None and metrics([]).auc is None


def test_fsrs_predictions_use_the_forgetting_curve() -> None:
    fsrs = FSRS()
    found = predictions(graded_histories(TINY, {}), lambda _: fsrs)
    first = fsrs.grade(fsrs.initial(), 4, D).state
    assert found[0].p == pytest.approx(fsrs.retrievability(first, 1))
    assert len(found) == 3


def _p(p: float, y: int, elapsed: int = 1, review: int = 2, lapses: int = 0) -> Prediction:
    return Prediction("d", "c", D, elapsed, review, lapses, p, y, 4 if y else 1)


def test_auc_is_the_share_of_correctly_ordered_pairs_ties_half() -> None:
    sample = [_p(0.9, 1), _p(0.8, 0), _p(0.8, 1), _p(0.5, 0), _p(0.95, 1), _p(0.5, 1)]
    pairs = [(a, b) for a, b in itertools.product(sample, sample) if a.y == 1 and b.y == 0]
    brute = sum(1.0 if a.p > b.p else 0.5 if a.p == b.p else 0.0 for a, b in pairs) / len(pairs)
    assert auc(sample) == pytest.approx(brute)
    assert auc([_p(0.9, 1), _p(0.3, 1)]) is None


def test_rmse_bins_groups_by_elapsed_review_and_lapses() -> None:
    # a perfect calibration inside each group gives 0, whatever the single predictions are
    sample = [_p(0.2, 1), _p(0.8, 0), _p(0.5, 1, elapsed=30, lapses=3), _p(0.5, 0, 30, 2, 3)]
    assert rmse_bins(sample) == pytest.approx(0.0)
    assert rmse_bins([_p(1.0, 0)]) == pytest.approx(1.0)


# -- optimize on a simulated learner ----------------------------------------------------------


@pytest.fixture
def simulated(db_path: Path) -> Path:
    with Store.open(db_path) as store:
        simulated_history(store, "train", cards=150, days=150, seed=1)
        simulated_history(store, "held", cards=150, days=150, seed=2)
    return db_path


def test_optimize_recovers_the_learner_better_than_the_defaults(simulated: Path) -> None:
    with Store.open(simulated) as store:
        result = optimize(store, load_settings(), "train")
        held = histories(store, "held")
    assert result.reviews >= MIN_OPTIMIZE_REVIEWS
    assert result.after.log_loss is not None and result.before.log_loss is not None
    assert result.after.log_loss < result.before.log_loss  # on the reviews it was fitted to
    fitted, default, truth = (
        FSRS(parameters=result.parameters),
        FSRS(),
        FSRS(parameters=TRUE_PARAMETERS),
    )
    on_held = {
        name: metrics(predictions(held, lambda _, s=s: s))  # type: ignore[misc]
        for name, s in (("fitted", fitted), ("default", default), ("truth", truth))
    }
    # on cards it never saw, the fitted parameters predict better than the defaults
    assert on_held["fitted"].log_loss < on_held["default"].log_loss  # type: ignore[operator]
    assert on_held["fitted"].rmse_bins < on_held["default"].rmse_bins  # type: ignore[operator]
    # and the initial stabilities moved toward the learner's (default w2 = 2.31, true 5.0)
    assert abs(result.parameters[2] - TRUE_PARAMETERS[2]) < abs(2.3065 - TRUE_PARAMETERS[2])


def test_optimize_command_saves_and_reschedules_fsrs_decks(
    simulated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_setting("scheduler", "fsrs", deck="held")
    assert run(capsys, "check", "--repair")[0] == 0  # held's cache built with FSRS
    code, out, err = run(capsys, "optimize", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["before"]["parameters"] == "default"
    assert doc["after"]["log_loss"] < doc["before"]["log_loss"]
    assert doc["rescheduled"] == ["held"]  # train is on SM-2: its cache does not change
    assert doc["used_by"] == ["held"]
    shown = json.loads(run(capsys, "config", "show", "--json")[1])  # kept in the database
    assert tuple(shown["fsrs_parameters"]) == tuple(doc["after"]["parameters"])
    assert run(capsys, "check")[0] == 0
    code, out, _ = run(capsys, "optimize", "--deck", "train")
    assert (
        code == 0 and "FSRS fitted to" in out and "Saved as fsrs_parameters for deck train" in out
    )
    assert "They are not used yet: deck train is on SM-2" in " ".join(out.split())
    shown = json.loads(run(capsys, "config", "show", "--json")[1])
    assert shown["decks"]["train"]["fsrs_parameters"] is not None
    code, out, _ = run(capsys, "evaluate")
    assert code == 0 and "FSRS-6 (fitted)" in out and "FSRS-6 (default)" in out


def test_optimize_refuses_a_short_history(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(db_path) as store:
        simulated_history(store, "tiny", cards=10, days=6)
    code, _, err = run(capsys, "optimize")
    assert code == 2 and f"at least {MIN_OPTIMIZE_REVIEWS} reviews" in err
    assert load_settings().fsrs_parameters is None


def test_evaluate_json_compares_both_schedulers(
    simulated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "evaluate", "--deck", "held", "--json")
    assert code == 0
    doc = json.loads(out)
    sm2, fsrs = doc["schedulers"]
    assert sm2["scheduler"] == "sm2" and fsrs["scheduler"] == "fsrs"
    assert sm2["reviews"] == fsrs["reviews"] > 500
    # the learner's memory is an FSRS one: FSRS predicts it better than SM-2's recall model
    assert fsrs["log_loss"] < sm2["log_loss"] and fsrs["rmse_bins"] < sm2["rmse_bins"]
    code, out, _ = run(capsys, "evaluate")
    assert code == 0 and "log loss" in out and "RMSE(bins)" in out and "AUC" in out


def test_evaluate_with_nothing_to_predict(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(db_path) as store:
        simulated_history(store, "one", cards=3, days=1)
    code, out, _ = run(capsys, "evaluate")
    assert code == 0 and "Nothing to evaluate yet" in out


# -- simulate ---------------------------------------------------------------------------------


def test_simulate_json_and_chart(simulated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "simulate", "--days", "40", "--deck", "held", "--json")
    assert code == 0, err
    doc = json.loads(out)
    names = [p["policy"] for p in doc["policies"]]
    assert names == ["SM-2", "FSRS 80%", "FSRS 85%", "FSRS 90%", "FSRS 95%"]
    fsrs = doc["policies"][1:]
    # asking for more recall costs more reviews, and gives more recall
    assert [p["reviews"] for p in fsrs] == sorted(p["reviews"] for p in fsrs)
    assert fsrs[0]["mean_retention"] < fsrs[-1]["mean_retention"]
    assert all(len(p["days"]) == 40 for p in doc["policies"])
    assert doc["cards"] == 150 and doc["new"] == 0
    code, again, _ = run(capsys, "simulate", "--days", "40", "--deck", "held", "--json")
    assert again == out  # seeded: the same log gives the same numbers
    for width in (60, 80):
        console = Console(file=io.StringIO(), width=width, color_system=None)
        console.print(simulation_view(doc, width))
        text = console.file.getvalue()  # type: ignore[attr-defined]
        assert all(len(line) <= width for line in text.splitlines())
        assert "FSRS 95%" in text and "reviews per day" in text


def test_sparkline_squeezes_days_into_the_width() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8, 0, 7) == "▁▂▃▄▅▆▇█"
    assert sparkline([0, 0, 7, 7], 2, 0, 7) == "▁█"
    assert len(sparkline([1.0] * 365, 30, 0, 2)) == 30


# -- stats and export -------------------------------------------------------------------------


def test_stats_show_retrievability_of_fsrs_cards_and_export_their_state(
    simulated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLCARDS_NOW", "2026-06-01T12:00:00+00:00")
    code, out, _ = run(capsys, "stats", "--json")
    assert json.loads(out)["retrievability"] is None  # no FSRS deck yet
    assert run(capsys, "config", "set", "--deck", "held", "scheduler", "fsrs")[0] == 0
    code, out, _ = run(capsys, "stats", "--json")
    doc = json.loads(out)["retrievability"]
    assert doc["cards"] == 150 and sum(b["cards"] for b in doc["bins"]) == 150
    assert 0 < doc["mean"] < 1
    code, out, _ = run(capsys, "stats", "--deck", "train", "--json")
    assert json.loads(out)["retrievability"] is None
    code, out, _ = run(capsys, "stats")
    assert code == 0 and "FSRS cards: predicted recall today" in out
    code, out, _ = run(capsys, "export", "cards", "--format", "json", "--deck", "held")
    cards = json.loads(out)
    assert all(c["stability"] > 0 and 1 <= c["difficulty"] <= 10 for c in cards)
    code, out, _ = run(capsys, "export", "cards", "--format", "json", "--deck", "train")
    assert all(c["stability"] is None for c in json.loads(out))


def test_optimize_without_the_optimiser_is_a_clear_error(
    simulated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "fsrs_rs_python", None)
    code, _, err = run(capsys, "optimize")
    assert code == 69 and "pip install 'mlcards[optimize]'" in err
    assert load_settings().fsrs_parameters is None


@pytest.mark.parametrize("command", ["optimize", "evaluate", "simulate"])
def test_fsrs_commands_on_a_plain_install_name_the_install_command(
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """Without the `fsrs` package (simulated: it cannot be imported), each FSRS command exits
    69 with what to install, and blames no setting (every deck is on SM-2 here)."""
    import sys

    with Store.open(db_path) as store:
        simulated_history(store, "tiny", cards=10, days=6)
    monkeypatch.setitem(sys.modules, "fsrs", None)
    monkeypatch.delitem(sys.modules, "mlcards.schedulers.fsrs", raising=False)
    code, out, err = run(capsys, command)
    assert code == 69, err
    extra = "mlcards[optimize]" if command == "optimize" else "mlcards[fsrs]"
    assert f"`mlcards {command}` needs FSRS" in err and f"pip install '{extra}'" in err
    assert "set to the FSRS scheduler" not in err and "Traceback" not in err
