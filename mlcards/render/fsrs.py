"""What ``evaluate``, ``optimize`` and ``simulate`` show, drawn from their JSON documents (so
the screen shows exactly the numbers of ``--json``). Plain tables and sparklines: they fit 60
columns and read without colour."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mlcards.sanitize import terminal_safe

SPARK = "▁▂▃▄▅▆▇█"


def _n(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _table() -> Table:
    return Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")


def evaluation_view(doc: dict[str, Any]) -> RenderableType:
    """``mlcards evaluate``: each scheduler's predictions of the learner's own answers."""
    first = doc["schedulers"][0]
    where = f"deck {doc['deck']}" if doc["deck"] else "all decks"
    head = Text(
        f"How well each scheduler predicted your {first['reviews']} reviews "
        f"({where}, {doc['cards']} cards; a card's first answer is not predicted):"
    )
    table = _table()
    table.add_column("scheduler")
    for name in ("log loss", "RMSE(bins)", "AUC", "predicted", "actual"):
        table.add_column(name, justify="right")
    for row in doc["schedulers"]:
        table.add_row(
            Text(row["name"]),
            _n(row["log_loss"]),
            _n(row["rmse_bins"]),
            _n(row["auc"]),
            _pct(row["mean_prediction"]),
            _pct(row["retention"]),
        )
    notes = Text(
        "Lower log loss and RMSE(bins) are better, higher AUC is better. SM-2 predicts no "
        "recall itself: its model here is 90% recall on the due day, decaying exponentially "
        "(R = 0.9^(days/interval)).",
        style="dim",
    )
    return Group(head, Text(""), table, Text(""), notes)


def optimize_view(doc: dict[str, Any], saved_to: str) -> RenderableType:
    """``mlcards optimize``: log loss and RMSE(bins) before and after the fit."""
    table = _table()
    table.add_column("parameters")
    for name in ("log loss", "RMSE(bins)", "AUC"):
        table.add_column(name, justify="right")
    for label, key in (("before", "before"), ("fitted", "after")):
        row = doc[key]
        name = label if key == "after" or row["parameters"] != "default" else "default"
        table.add_row(name, _n(row["log_loss"]), _n(row["rmse_bins"]), _n(row["auc"]))
    parameters = ", ".join(f"{w:g}" for w in doc["after"]["parameters"])
    return Group(
        Text(f"FSRS fitted to {doc['reviews']} reviews (scored on the same reviews):"),
        Text(""),
        table,
        Text(""),
        Text(f"Parameters: {parameters}", overflow="fold"),
        Text(f"Saved as fsrs_parameters {saved_to}."),
        *_unused_note(doc),
    )


def _unused_note(doc: dict[str, Any]) -> list[Text]:
    """Saved parameters no deck uses (the deck, or every deck, is on SM-2) say so."""
    if doc.get("used_by", [None]):
        return []
    deck = doc.get("deck")
    if deck:
        switch = f"mlcards config set --deck {terminal_safe(str(deck))} scheduler fsrs"
        who = f"deck {terminal_safe(str(deck))} is on SM-2"
    else:
        switch, who = "mlcards config set scheduler fsrs", "every deck is on SM-2"
    return [Text(f"They are not used yet: {who}. `{switch}` makes FSRS schedule with them.")]


def sparkline(values: list[float], width: int, low: float, high: float) -> str:
    """``values`` squeezed into ``width`` characters (means of equal runs), scaled low..high."""
    if not values or width <= 0:
        return ""
    width = min(width, len(values))
    step = len(values) / width
    out = []
    for i in range(width):
        chunk = values[round(i * step) : max(round((i + 1) * step), round(i * step) + 1)]
        mean = sum(chunk) / len(chunk)
        span = high - low
        level = 0 if span <= 0 else round((mean - low) / span * (len(SPARK) - 1))
        out.append(SPARK[min(max(level, 0), len(SPARK) - 1)])
    return "".join(out)


def simulation_view(doc: dict[str, Any], width: int = 80) -> RenderableType:
    """``mlcards simulate``: reviews per day and expected retention per policy, a sparkline
    of each over the days, fitted to ``width`` columns (60 and up)."""
    policies = doc["policies"]
    where = f"deck {doc['deck']}" if doc["deck"] else "all decks"
    head = Text(
        f"The next {doc['days']} days of {doc['cards']} cards ({where}; {doc['new']} new, "
        f"{doc['new_per_day']} a day), memory modelled by FSRS with your parameters:",
        overflow="fold",
    )
    fixed = 10 + 8 + 7 + 7 + 4  # name, reviews, a day, retention, padding
    spark = max(min(width - fixed - 1, doc["days"]), 8)
    busiest = max(
        (max(p["days"], key=lambda d: d["reviews"])["reviews"] for p in policies), default=0
    )
    retentions = [d["retention"] for p in policies for d in p["days"]]
    low, high = (min(retentions), max(retentions)) if retentions else (0.0, 1.0)
    table = _table()
    table.add_column("policy", no_wrap=True)
    table.add_column("reviews", justify="right")
    table.add_column("a day", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("reviews per day", no_wrap=True)
    retention = _table()
    retention.add_column("policy", no_wrap=True)
    retention.add_column(f"expected recall, {_pct(low)} to {_pct(high)}", no_wrap=True)
    for p in policies:
        per_day = [float(d["reviews"]) for d in p["days"]]
        table.add_row(
            p["policy"],
            str(p["reviews"]),
            _n(p["reviews_per_day"], 1),
            _pct(p["mean_retention"]),
            sparkline(per_day, spark, 0.0, float(busiest)),
        )
        retention.add_row(
            p["policy"], sparkline([d["retention"] for d in p["days"]], spark + 24, low, high)
        )
    notes = Text(
        f"Reviews are graded answers (the busiest day: {busiest}); recall is the mean "
        "predicted recall of the cards learned so far, at the end of each day.",
        style="dim",
    )
    return Group(head, Text(""), table, Text(""), retention, Text(""), notes)
