"""The [polling] settings and a feed's own full_article: read, defaulted, validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, PollSettings, load_settings


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, {})


def test_defaults_and_values(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        '[polling]\ncontact = "mailto:a@b.org"\ninterval = 600\nallow_private_addresses = '
        '["10.0.0.0/8"]\n[[feeds]]\nurl = "https://x.org/f"\ntargets = ["console:#a"]\n'
        'full_article = "never"\n',
    )
    assert settings.polling == PollSettings(  # type: ignore[attr-defined]
        contact="mailto:a@b.org", interval_s=600, allow_private_addresses=("10.0.0.0/8",)
    )
    assert settings.feeds[0].full_article == "never"  # type: ignore[attr-defined]
    assert load_settings(None, {}).polling == PollSettings()


def test_every_bad_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(
            tmp_path,
            "[polling]\ninterval = 5\nfailures_before_pause = 0\nmax_bytes = 'big'\n"
            'fetch_full_article = "sometimes"\nallow_private_addresses = ["localhost"]\n'
            "colour = 3\n",
        )
    text = str(caught.value)
    for expected in (
        "polling.interval: must be a number, at least 60",
        "polling.failures_before_pause: must be a number, at least 1",
        "polling.max_bytes: must be a number, at least 1024",
        "polling.fetch_full_article: must be one of teasers, always, never",
        "polling.allow_private_addresses: 'localhost' is not a network like 127.0.0.0/8",
        "polling.colour: unknown setting",
    ):
        assert expected in text
