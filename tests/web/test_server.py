"""[web] listen: the config's checks, and the server answering on a real loopback socket."""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from bot.config import ConfigError, WebSettings, load_settings
from bot.runtime import Bot
from bot.storage.sqlite.store import SqliteStore
from bot.web.server import start_web
from tests.fakes import FakeChatAdapter


def _load(tmp_path: Path, text: str) -> WebSettings | None:
    path = tmp_path / "bot.toml"
    path.write_text(text, "utf-8")
    return load_settings(path, {}).web


def test_no_section_or_no_listen_means_no_server(tmp_path: Path) -> None:
    assert _load(tmp_path, "") is None
    assert _load(tmp_path, "[web]\nstuck_after = 600\n") is None


def test_listen_and_stuck_after_are_read(tmp_path: Path) -> None:
    web = _load(tmp_path, '[web]\nlisten = "127.0.0.1:8089"\nstuck_after = 600\n')
    assert web == WebSettings(host="127.0.0.1", port=8089, stuck_after_s=600)
    assert _load(tmp_path, '[web]\nlisten = "[::1]:9000"\n') == WebSettings("::1", 9000)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[web]\nlisten = "8080"\n', "is not host:port"),
        ('[web]\nlisten = "localhost:http"\n', "is not host:port"),
        ('[web]\nlisten = "127.0.0.1:70000"\n', "is not host:port"),
        ('[web]\nlisten = "127.0.0.1:8080"\nstuck_after = 5\n', "at least 60"),
        ('[web]\nlisten = "127.0.0.1:8080"\nport = 1\n', "web.port: unknown setting"),
    ],
)
def test_bad_web_settings_are_named(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert said in str(caught.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_server_serves_metrics_and_healthz_until_closed(db: SqliteStore) -> None:
    fake = FakeChatAdapter()
    bot = Bot(db, {fake.platform: fake}, load_settings(None, {}))  # type: ignore[dict-item]
    port = _free_port()
    async with AsyncExitStack() as stack:
        url = await start_web(bot, WebSettings("127.0.0.1", port), stack)
        assert url == f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/healthz") as resp:
                assert resp.status == 200
                assert (await resp.json())["healthy"] is True
            async with http.get(f"{url}/metrics") as resp:
                assert resp.status == 200
                assert "pointbot_questions_taken_total 0.0" in await resp.text()
            async with http.get(f"{url}/desk") as resp:
                assert resp.status == 404  # the desk is not built
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # closed with the stack


async def test_an_address_in_use_is_an_os_error(db: SqliteStore) -> None:
    fake = FakeChatAdapter()
    bot = Bot(db, {fake.platform: fake}, load_settings(None, {}))  # type: ignore[dict-item]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with AsyncExitStack() as stack:
            with pytest.raises(OSError):
                await start_web(bot, WebSettings("127.0.0.1", port), stack)
