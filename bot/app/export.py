"""Every question, off-line: Markdown grouped like the FAQ, CSV or JSON with one row each.

Anonymous askers are "a reader" here as in chat: the identity stays in the database for
moderators, not in files that travel. Times are ISO-8601 UTC.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from bot.core.faq import ANONYMOUS, group_by_point, section_title
from bot.core.models import Article, ArticleId, QuestionStatus
from bot.storage.port import Reads, Store
from bot.storage.types import QuestionRecord

Format = Literal["md", "csv", "json"]
FORMATS: tuple[Format, ...] = ("md", "csv", "json")
FIELDS = (
    "id",
    "article",
    "article_title",
    "point",
    "status",
    "asker",
    "asked_at",
    "text",
    "answer",
    "answered_at",
    "votes",
    "merged_into",
)


class ExportError(Exception):
    """The export cannot be made as asked (an article that does not exist)."""


def _row(record: QuestionRecord, titles: dict[int, str]) -> dict[str, object]:
    q = record.question
    return {
        "id": q.id,
        "article": q.article_id,
        "article_title": titles.get(q.article_id, ""),
        "point": q.point,
        "status": q.status.value,
        "asker": ANONYMOUS if q.anonymous else q.asker.name,
        "asked_at": iso(q.asked_at),
        "text": q.text,
        "answer": q.answer,
        "answered_at": iso(record.answered_at) if record.answered_at else None,
        "votes": q.votes,
        "merged_into": q.merged_into,
    }


def _csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _md_text(text: str) -> str:
    """User text on one Markdown line, with the characters that would format it escaped."""
    flat = " ".join(text.split())
    for ch in "\\`*_[]<>":
        flat = flat.replace(ch, "\\" + ch)
    return flat


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _md_question(record: QuestionRecord) -> list[str]:
    q = record.question
    votes = f"{q.votes} vote{'s' if q.votes != 1 else ''}"
    asker = ANONYMOUS if q.anonymous else q.asker.name
    facts = [q.status.value, votes, _md_text(asker), _when(q.asked_at)]
    if q.merged_into is not None:
        facts.append(f"merged into #{q.merged_into}")
    lines = [f"**Q #{q.id}** ({' · '.join(facts)}): {_md_text(q.text)}", ""]
    if q.status is QuestionStatus.ANSWERED and q.answer:
        when = f" ({_when(record.answered_at)})" if record.answered_at else ""
        lines += [f"> **A**{when}: {_md_text(q.answer)}", ""]
    elif q.reason:
        lines += [f"> reason: {_md_text(q.reason)}", ""]
    return lines


def _markdown(records: list[QuestionRecord], articles: dict[int, Article]) -> str:
    by_article: dict[int, list[QuestionRecord]] = {}
    for r in records:
        by_article.setdefault(r.question.article_id, []).append(r)
    if not by_article:
        return "No questions.\n"
    out: list[str] = []
    for article_id, recs in by_article.items():
        article = articles.get(article_id) or Article(title=f"Article {article_id}")
        out += [f"# {_md_text(article.title)}", ""]
        if article.link:
            out += [f"<{article.link}>", ""]
        by_id = {r.question.id: r for r in recs}
        for point, questions in group_by_point(article, [r.question for r in recs]):
            out += [f"## {_md_text(section_title(article, point))}", ""]
            # The FAQ's order is by votes; the export keeps the order questions came in.
            for q in sorted(questions, key=lambda q: q.id):
                out += _md_question(by_id[q.id])
    return "\n".join(out).rstrip("\n") + "\n"


def iso(moment: datetime) -> str:
    """ISO-8601 UTC, as the database stores times."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def _articles(r: Reads, ids: Iterable[int]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    for aid in ids:
        stored = await r.articles.get(ArticleId(aid))
        if stored is not None:
            found[aid] = stored.article
    return found


async def export_questions(store: Store, *, article_id: int | None, fmt: Format) -> str:
    """Every question (of ``article_id``, or of all articles) in format ``fmt``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: choose md, csv or json")
    async with store.read() as r:
        if article_id is not None and await r.articles.get(ArticleId(article_id)) is None:
            raise ExportError(f"there is no article {article_id}")
        records = await r.questions.all_of(article_id)
        articles = await _articles(r, {rec.question.article_id for rec in records})
    if fmt == "md":
        return _markdown(records, articles)
    titles = {aid: a.title for aid, a in articles.items()}
    rows = [_row(r, titles) for r in records]
    if fmt == "csv":
        return _csv(rows)
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
