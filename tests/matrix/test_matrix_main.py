"""`python -m bot` on Matrix, as an admin runs it: a real process, a real homeserver."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from .conftest import MakeClient, MakeUser
from .kit import body_starts, message_from, send_text
from .synapse import SynapseServer, wait_for_event

ROOT = Path(__file__).resolve().parents[2]


async def test_the_bot_process_serves_a_room_and_stops_cleanly(
    synapse: SynapseServer, make_user: MakeUser, matrix_client: MakeClient, tmp_path: Path
) -> None:
    bot_user, admin = make_user("pointbot"), make_user("admin")
    member = await matrix_client(admin)
    room = (await member.room_create(name="writers", invite=[bot_user.user_id])).room_id
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndatabase = "{tmp_path / "bot.sqlite3"}"\nadmins = ["matrix:{admin.user_id}"]\n'
        f'[[feeds]]\nurl = "bundled:example-feed.xml"\ntargets = ["matrix:{room}"]\n'
        f'authors = ["matrix:{admin.user_id}"]\n',
        "utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_user.user_id,
        "MATRIX_PASSWORD": bot_user.password,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        summary = await wait_for_event(
            member,
            room,
            message_from(bot_user.user_id, body_starts("What Putin And Pezeshkian")),
            timeout=30,
        )
        assert summary["content"]["msgtype"] == "m.notice"
        asked = await send_text(member, room, "Can you clarify point 3?")
        ack = await wait_for_event(
            member, room, message_from(bot_user.user_id, body_starts("Thanks")), timeout=15
        )
        assert "question #1 on point 3" in ack["content"]["body"]
        assert asked  # the member's message is what the acknowledgement answers
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert bot_user.password not in (out + err).decode()
    assert b"pointbot running on matrix" in out
