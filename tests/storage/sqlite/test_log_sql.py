"""DEBUG logging keeps message texts out of the database driver's log unless asked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.storage.sqlite.db import Database, driver_logging

SECRET = "a private question text 7f3e"


async def _write_through_the_driver(path: Path) -> None:
    db = await Database.open(path)
    async with db.transaction() as conn:  # runs on aiosqlite's thread, which logs calls
        await conn.execute(
            "INSERT INTO adapter_state (platform, name, value) VALUES (?, ?, ?)",
            ("matrix", "since", SECRET),
        )
    await db.close()


@pytest.mark.parametrize(("setting", "logged"), [("", False), ("log_sql = true", True)])
async def test_statements_reach_the_log_only_with_log_sql(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, setting: str, logged: bool
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f"[bot]\nlog_level = 'DEBUG'\n{setting}\n", "utf-8")
    settings = load_settings(config, {})
    assert settings.log_sql is logged
    caplog.set_level(logging.DEBUG)
    driver_logging(settings.log_sql)
    try:
        await _write_through_the_driver(tmp_path / "db.sqlite3")
    finally:
        driver_logging(False)
    assert (SECRET in caplog.text) is logged
    assert any(r.name == "aiosqlite" for r in caplog.records) is logged


def test_log_sql_must_be_true_or_false(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text("[bot]\nlog_sql = 'yes'\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bot\.log_sql: must be true or false"):
        load_settings(config, {})
