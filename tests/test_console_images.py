"""The console shows an article's lead image as a line under its summary."""

from __future__ import annotations

from bot.adapters.console import ConsoleAdapter
from bot.core.models import ChatRef, Platform, Rendered


async def test_the_lead_image_is_a_line_under_the_summary() -> None:
    lines: list[str] = []
    console = ConsoleAdapter(lines.append)
    where = ChatRef(Platform("console"), "#general")
    await console.post(
        where, Rendered("Title\nBody", image="https://cdn.example.org/a.jpg"), key="a"
    )
    await console.post(where, Rendered("Plain\nBody"), key="b")
    assert (
        lines[-5].strip() == "Body" and lines[-4].strip() == "image: https://cdn.example.org/a.jpg"
    )
    assert not any("image:" in line for line in lines[-3:])
