"""The dashboard's figures (bot/core/analytics/figures.py) as tables, one shape for the page, its CSV and its JSON,
so that the three show the same numbers: a table has a key, a title, columns and rows; a row has a key, a label and
a cell per column; a cell has its value (an int, a float rounded to one decimal, or None) and the text the page
shows in the agent's language (a percentage with a decimal comma in Lithuanian, a duration)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.analytics.figures import Figures, Funnel, Median, Rate
from bot.core.analytics.outcomes import OUTCOMES

Value = int | float | None
CHART_INTENTS = 20  # the intents chart shows the most frequent ones; the table all of them


@dataclass(frozen=True)
class Cell:
    value: Value
    text: str

    @property
    def exported(self) -> bool:
        """False for an empty cell (no line in the CSV)."""
        return bool(self.text) or self.value is not None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """`columns`: (key, heading) of the value columns (the first column, the rows' labels, is `label`). `chart`:
    "bar" or "line" (static/dashboard.js draws it from the table) over the columns `series`."""

    key: str
    title: str
    label: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[Row, ...]
    chart: str | None = None
    series: tuple[str, ...] = ()
    note: str = ""


class Formats:
    """Numbers as the page shows them in `language`."""

    def __init__(self, t: Mapping[str, str], language: str) -> None:
        self.t, self.language = t, language

    def number(self, value: Value) -> str:
        if value is None:
            return self.t["dashboard_none"]
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        return text.replace(".", ",") if self.language == "lt" else text

    def count(self, value: int) -> Cell:
        return Cell(value, self.number(value))

    def percent(self, rate: Rate) -> Cell:
        value = rate.percent
        return Cell(value, self.t["dashboard_none"] if value is None else f"{self.number(value)} %")

    def seconds(self, median: Median) -> Cell:
        if median.seconds is None:
            return Cell(None, self.t["dashboard_none"])
        return Cell(median.seconds, duration(median.seconds))

    def blank(self) -> Cell:
        return Cell(None, "")


def duration(seconds: float) -> str:
    """"45 s", "6 min 45 s", "2 h 5 min" (whole seconds)."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def _rate_row(key: str, label: str, rate: Rate, f: Formats) -> Row:
    return Row(key, label, (f.count(rate.count), f.count(rate.total), f.percent(rate)))


def summary(figures: Figures, t: Mapping[str, str], f: Formats) -> Table:
    """The key figures: a count, what it is of, the percentage; the medians in seconds of so many escalations."""
    outcome = figures.outcomes
    rows = [
        Row("conversations", t["dashboard_conversations"], (f.count(figures.conversations), f.blank(), f.blank())),
        _rate_row("contained", t["dashboard_contained"], figures.contained, f),
        _rate_row("contained_confirmed", t["dashboard_contained_confirmed"], outcome["contained_confirmed"], f),
        _rate_row("contained_assumed", t["dashboard_contained_assumed"], outcome["contained_assumed"], f),
        _rate_row("handed_over", t["dashboard_handed_over"], figures.handed_over, f),
        _rate_row("fallback_rate", t["dashboard_fallback_rate"], figures.fallback, f),
        _rate_row("csat", t["dashboard_csat"], figures.csat, f),
        _rate_row("answered", t["dashboard_answered"], figures.answered, f),
        Row("wait_seconds", t["dashboard_wait"], (f.seconds(figures.wait), f.count(figures.wait.count), f.blank())),
        Row("first_reply_seconds", t["dashboard_first_reply"],
            (f.seconds(figures.first_reply), f.count(figures.first_reply.count), f.blank())),
    ]
    columns = (("value", t["dashboard_col_value"]), ("of", t["dashboard_col_of"]),
               ("percent", t["dashboard_col_percent"]))
    return Table("summary", t["dashboard_summary"], t["dashboard_col_figure"], columns, tuple(rows))


def _share_table(key: str, title: str, label: str, counted: str, rows: Iterable[tuple[str, str, Rate]],
                 f: Formats, note: str = "") -> Table:
    """Rows of a count and its percentage, charted as bars of the count."""
    built = tuple(Row(k, text, (f.count(rate.count), f.percent(rate))) for k, text, rate in rows)
    return Table(key, title, label, (("count", counted), ("percent", f.t["dashboard_col_percent"])), built,
                 chart="bar", series=("count",), note=note)


def outcomes(figures: Figures, t: Mapping[str, str], f: Formats) -> Table:
    rows = [(o, t[f"dashboard_{o}"], figures.outcomes[o]) for o in OUTCOMES]
    return _share_table("outcomes", t["dashboard_outcomes"], t["dashboard_col_outcome"],
                        t["dashboard_conversations"], rows, f, note=t["dashboard_outcomes_note"])


def reasons(figures: Figures, t: Mapping[str, str], f: Formats) -> Table:
    rows = [(r, t.get(f"dashboard_reason_{r}", r), rate) for r, rate in figures.handoff_reasons.items()]
    return _share_table("handoff_reasons", t["dashboard_reasons"], t["dashboard_col_reason"],
                        t["dashboard_conversations"], rows, f)


def funnel(item: Funnel, t: Mapping[str, str], f: Formats) -> Table:
    """A flow's runs at each step, each of the runs started."""
    def of(count: int) -> Rate:
        return Rate(count, item.started)

    rows = [("started", t["dashboard_step_started"], of(item.started))]
    rows += [(f"asked:{slot}", t["dashboard_step_asked"].format(slot=slot), of(n)) for slot, n in item.asked]
    rows += [(end, t[f"dashboard_step_{end}"], of(getattr(item, end)))
             for end in ("completed", "cancelled", "handed_over", "abandoned")]
    title = t["dashboard_funnel_of"].format(flow=t.get(f"dashboard_flow_{item.flow}", item.flow))
    return _share_table(f"funnel:{item.flow}", title, t["dashboard_col_step"], t["dashboard_col_runs"], rows, f)


def intents(figures: Figures, t: Mapping[str, str], f: Formats) -> Table:
    rows = [(name or "(none)", name or t["dashboard_no_intent"], rate) for name, rate in figures.intents]
    return _share_table("intents", t["dashboard_intents"], t["dashboard_col_intent"], t["dashboard_col_messages"],
                        rows, f, note=t["dashboard_intents_chart"].format(count=CHART_INTENTS))


TREND_COLUMNS = ("conversations", "contained", "contained_confirmed", "contained_assumed", "not_helped",
                 "handed_over", "messages", "fallbacks")


def trend(figures: Figures, t: Mapping[str, str], f: Formats) -> Table:
    """Each day: its conversations by outcome (contained also summed), its customer messages and fallbacks; charted
    as lines of conversations, contained and handed over."""
    headings = {"messages": t["dashboard_col_messages"], "fallbacks": t["dashboard_col_fallbacks"]}
    columns = tuple((c, headings.get(c) or t[f"dashboard_{c}"]) for c in TREND_COLUMNS)
    rows = []
    for day in figures.trend:
        values = {"conversations": day.conversations, "contained": day.contained, **day.outcomes,
                  "messages": day.messages, "fallbacks": day.fallbacks}
        rows.append(Row(day.day.isoformat(), day.day.isoformat(), tuple(f.count(values[c]) for c in TREND_COLUMNS)))
    return Table("trend", t["dashboard_trend"], t["dashboard_col_day"], columns, tuple(rows), chart="line",
                 series=("conversations", "contained", "handed_over"))


def tables(figures: Figures, t: Mapping[str, str], language: str) -> list[Table]:
    """Every table of the dashboard, in the page's order."""
    f = Formats(t, language)
    return [summary(figures, t, f), outcomes(figures, t, f), reasons(figures, t, f),
            *(funnel(item, t, f) for item in figures.funnels), intents(figures, t, f), trend(figures, t, f)]


CSV_HEADER = ("table", "row", "label", "column", "value")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text a spreadsheet will not take for a formula (a recorded name starting with "=" gets a leading "'")."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(all_tables: Iterable[Table]) -> str:
    """One line per value cell: table key, row key, row label, column key, value (empty for none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for table in all_tables:
        for row in table.rows:
            for (column, _), cell in zip(table.columns, row.cells, strict=True):
                if cell.exported:
                    writer.writerow((csv_safe(table.key), csv_safe(row.key), csv_safe(row.label), column,
                                     "" if cell.value is None else cell.value))
    return out.getvalue()


def as_json(all_tables: Iterable[Table]) -> list[dict[str, object]]:
    """The tables as JSON: each with its columns and rows of values (no display texts)."""
    return [{"key": table.key, "title": table.title, "columns": [key for key, _ in table.columns],
             "rows": [{"key": row.key, "label": row.label,
                       "values": {key: cell.value for (key, _), cell in zip(table.columns, row.cells, strict=True)}}
                      for row in table.rows]}
            for table in all_tables]
