"""Regenerate bot/data/example-feed.xml from tests/fixtures/seed-article.txt.

The seed has no title or link of its own; the feed gives it a descriptive title and no link.
Reader comments (lines 16-19) are not article text and are left out.
"""

from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
lines = (ROOT / "tests/fixtures/seed-article.txt").read_text("utf-8").splitlines()
dek, intro = lines[0], lines[1]
points = lines[3:13]
conclusion = lines[14]
body = [f"<p>{escape(intro)}</p>"]
for i in range(0, len(points), 2):
    body.append(f"<h3>{escape(points[i])}</h3>")
    body.append(f"<p>{escape(points[i + 1])}</p>")
body.append("<hr>")
body.append(f"<p>{escape(conclusion)}</p>")
html = "\n".join(body)
xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>Example feed (bundled with pointbot)</title>
<description>The article pointbot started from, as a local feed for the demo.</description>
<item>
<title>What Putin And Pezeshkian Will Likely Discuss In Turkmenistan</title>
<guid isPermaLink="false">pointbot-example-1</guid>
<pubDate>Wed, 09 Oct 2024 12:00:00 GMT</pubDate>
<description>{escape(dek)}</description>
<content:encoded><![CDATA[{html}]]></content:encoded>
</item>
</channel>
</rss>
"""
(ROOT / "bot/data/example-feed.xml").write_text(xml, "utf-8")
