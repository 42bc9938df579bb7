"""The stuck charts: counts from real question records, SVG parsed back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from bot.core.models import ChatRef, Platform, Question, QuestionStatus, UserRef
from bot.storage.types import QuestionRecord
from bot.web.charts import (
    BAR_HEIGHT_MAX,
    DayCount,
    PointCount,
    days_svg,
    per_day,
    point_counts,
    points_svg,
)

NS = {"s": "http://www.w3.org/2000/svg"}
P = Platform("console")


def rec(qid: int, point: int | None, status: QuestionStatus, day: int = 1) -> QuestionRecord:
    q = Question(
        id=qid,  # type: ignore[arg-type]
        article_id=1,  # type: ignore[arg-type]
        point=point,
        asker=UserRef(P, f"u{qid}"),
        where=ChatRef(P, "c"),
        text=f"q{qid}",
        status=status,
        asked_at=datetime(2026, 11, day, 12, tzinfo=UTC),
    )
    return QuestionRecord(q, None)


POINTS = [(1, "One"), (2, "Two"), (3, "Three")]


def test_counts_most_questions_first_and_statuses() -> None:
    records = [
        rec(1, 3, QuestionStatus.QUEUED),
        rec(2, 3, QuestionStatus.QUEUED),
        rec(3, 3, QuestionStatus.ANSWERED),
        rec(4, 1, QuestionStatus.ANSWERED),
        rec(5, 1, QuestionStatus.DISMISSED),
        rec(6, 2, QuestionStatus.WITHDRAWN),
        rec(7, None, QuestionStatus.QUEUED),
        rec(8, 9, QuestionStatus.QUEUED),
    ]
    got = point_counts(POINTS, records)
    assert [c.number for c in got] == [3, 1, 0, 9, 2]
    assert got[0] == PointCount(3, "Three", 2, 1)
    assert got[1] == PointCount(1, "One", 0, 1)
    assert got[-1] == PointCount(2, "Two", 0, 0)
    assert got[2].title == "The whole article"


def _bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return root.findall("s:g[@class='bar']", NS)


def test_points_svg_heights_follow_data() -> None:
    counts = [PointCount(3, "Three", 3, 1), PointCount(1, "One", 0, 2), PointCount(2, "Two", 0, 0)]
    svg = points_svg(counts, "Where readers are stuck")
    root = ET.fromstring(svg)
    assert root.find("s:title", NS) is not None and root.find("s:desc", NS) is not None
    assert root.get("role") == "img"
    bars = _bars(svg)
    assert [b.get("data-point") for b in bars] == ["3", "1", "2"]
    heights = []
    for b in bars:
        o = b.find("s:rect[@class='open']", NS)
        a = b.find("s:rect[@class='answered']", NS)
        assert o is not None and a is not None
        heights.append((float(o.get("height", "")), float(a.get("height", ""))))
        # stacked: open sits right on top of answered
        assert float(o.get("y", "")) + float(o.get("height", "")) == pytest.approx(
            float(a.get("y", ""))
        )
    top = BAR_HEIGHT_MAX
    assert heights[0] == pytest.approx((top * 3 / 4, top * 1 / 4))
    assert heights[1] == pytest.approx((0, top * 2 / 4))
    assert heights[2] == (0, 0)
    totals = [b.find("s:text[@class='total']", NS) for b in bars]
    assert [t.text for t in totals if t is not None] == ["4", "2", "0"]


def test_hostile_titles_stay_escaped() -> None:
    evil = '<script>alert("x")</script> & co'
    svg = points_svg([PointCount(1, evil, 1, 0)], f"Stuck in {evil}")
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert not root.findall(".//s:script", NS) and not root.findall(".//script")
    title = root.find("s:title", NS)
    assert title is not None and title.text == f"Stuck in {evil}"
    bar_title = _bars(svg)[0].find("s:title", NS)
    assert bar_title is not None and evil in (bar_title.text or "")


def test_empty_chart_is_valid() -> None:
    root = ET.fromstring(points_svg([], "Nothing"))
    assert root.find("s:desc", NS).text == "No questions yet."  # type: ignore[union-attr]
    assert ET.fromstring(days_svg([], "Nothing")).findall("s:rect", NS) == []


def test_per_day_fills_gaps_and_days_svg() -> None:
    records = [
        rec(1, 1, QuestionStatus.QUEUED, day=2),
        rec(2, 1, QuestionStatus.QUEUED, day=2),
        rec(3, 2, QuestionStatus.ANSWERED, day=5),
    ]
    days = per_day(records)
    assert days == [
        DayCount(date(2026, 11, 2), 2),
        DayCount(date(2026, 11, 3), 0),
        DayCount(date(2026, 11, 4), 0),
        DayCount(date(2026, 11, 5), 1),
    ]
    root = ET.fromstring(days_svg(days, "Questions per day"))
    rects = root.findall("s:rect[@class='day']", NS)
    assert [r.get("data-count") for r in rects] == ["2", "0", "0", "1"]
    hs = [float(r.get("height", "")) for r in rects]
    assert hs == pytest.approx([BAR_HEIGHT_MAX, 0, 0, BAR_HEIGHT_MAX / 2])
