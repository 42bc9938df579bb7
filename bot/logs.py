"""Log lines for a person (text) or for a log collector (one JSON object per line)."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """``{"time", "level", "logger", "message"}`` (and ``"error"`` with the traceback), one
    object per line, so journald, Loki or Elasticsearch need no parsing rules."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """Send the bot's logs to stderr as ``fmt`` ("text" or "json") from ``level`` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # nio logs every room event at INFO and every reconnect attempt as a WARNING.
    logging.getLogger("nio").setLevel(logging.ERROR)


def quiet_stdout() -> None:
    """Whoever read our output left (``bot … | head``): what is still written goes nowhere,
    and the exit says nothing (no BrokenPipeError when Python flushes stdout)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def print_line(text: str) -> None:
    """``print`` for the console's output, quiet once the reader has gone."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        quiet_stdout()
