"""Settings: defaults, every bad key in one error, secrets that never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_FEED, ConfigError, Secret, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, "utf-8")
    return path


def test_no_file_runs_the_console_demo_on_the_bundled_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(None, {})
    assert s.platforms == ()
    assert [f.url for f in s.feeds] == [BUNDLED_FEED]
    assert s.admins == frozenset({"console:admin"})
    assert s.source == "built-in defaults"


def test_a_full_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\ndatabase = "x.sqlite3"\ncommand_prefix = "?"\nadmins = ["matrix:@a:b.org"]\n'
        '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["discord:123456789012345678"]\n'
        'authors = ["discord:987654321098765432"]\ninterval = 600\n',
    )
    s = load_settings(path, {})
    assert s.database == tmp_path / "x.sqlite3"  # beside the config file, wherever we run
    assert s.command_prefix == "?"
    assert s.feeds[0].interval_s == 600
    assert s.feeds[0].authors == ("discord:987654321098765432",)
    assert s.source == str(path)


def test_environment_overrides_and_secrets(tmp_path: Path) -> None:
    env = {
        "BOT_DATABASE": "/data/db.sqlite3",
        "MATRIX_HOMESERVER": "http://127.0.0.1:8008",
        "MATRIX_USER_ID": "@bot:localhost",
        "MATRIX_PASSWORD": "hunter2",
        "DISCORD_TOKEN": "tok-123",
    }
    s = load_settings(write(tmp_path, ""), env)
    assert s.database == Path("/data/db.sqlite3")
    assert s.platforms == ("matrix", "discord")
    assert s.matrix is not None and s.matrix.password == Secret("hunter2")
    assert "hunter2" not in repr(s) and "tok-123" not in repr(s) and "tok-123" not in str(s)
    assert s.discord is not None and s.discord.token.reveal() == "tok-123"


def test_every_problem_is_reported_at_once_with_its_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\ncommand_prefix = "go"\nadmins = ["nobody"]\n[[feeds]]\ntargets = "x"\n'
        '[matrix]\npassword = "in the file"\n[extra]\n',
    )
    with pytest.raises(ConfigError) as err:
        load_settings(path, {"MATRIX_HOMESERVER": "http://h"})
    text = str(err.value)
    for key in (
        "bot.command_prefix",
        "bot.admins",
        "feeds[0].url",
        "feeds[0].targets",
        "matrix.password",
        "MATRIX_USER_ID",
        "extra: unknown section",
    ):
        assert key in text
    assert str(path) in text


def test_unreadable_toml_is_one_plain_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[bot\n"), {})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", {})


MATRIX_ENV = {
    "MATRIX_HOMESERVER": "http://127.0.0.1:8008",
    "MATRIX_USER_ID": "@bot:localhost",
    "MATRIX_PASSWORD": "hunter2",
}


def test_matrix_encryption_is_on_by_default_with_tofu_and_a_store_beside_the_database(
    tmp_path: Path,
) -> None:
    from bot.adapters.matrix import MatrixAdapter

    s = load_settings(write(tmp_path, f'[bot]\ndatabase = "{tmp_path}/db/x.sqlite3"\n'), MATRIX_ENV)
    assert s.matrix is not None
    assert s.matrix.encryption is True and s.matrix.trust == "tofu"
    assert s.matrix.store_path is None and s.matrix.store_key is None
    adapter = MatrixAdapter.from_settings(s, state=None)  # type: ignore[arg-type]
    assert adapter.encryption.enabled
    assert adapter.encryption.store_path() == str(tmp_path / "db" / "matrix-store")


def test_matrix_encryption_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[matrix]\nencryption = false\nstore_path = "keys"\ntrust = "verified"\n',
    )
    s = load_settings(path, {**MATRIX_ENV, "MATRIX_STORE_KEY": "sealed"})
    assert s.matrix is not None and s.matrix.encryption is False
    assert s.matrix.store_path == Path("keys") and s.matrix.trust == "verified"
    assert s.matrix.store_key == Secret("sealed")
    bad = write(tmp_path, '[matrix]\nencryption = "yes"\nstore_path = ""\ntrust = "everyone"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(bad, MATRIX_ENV)
    text = str(err.value)
    assert "matrix.encryption: must be true or false" in text
    assert "matrix.store_path" in text
    assert "matrix.trust: 'everyone' is not one of 'tofu', 'verified'" in text


def test_targets_of_every_shape_a_platform_uses_are_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[feeds]]\nurl = "https://w.example/feed"\ntargets = ["matrix:!abc:example.org", '
        '"matrix:!KzCTS0rYesleVQ_F2BqkU_nqn6Fwcuv4V2eAF6BLZDs", "matrix:#news:example.org", '
        '"discord:123456789012345678", "console:#general"]\n'
        'authors = ["matrix:@ana:example.org", "discord:987654321098765432", "console:x"]\n',
    )
    s = load_settings(path, {})  # room version 12 ids carry no server name
    assert len(s.feeds[0].targets) == 5


def test_discord_shards_and_cluster_leases_are_read_and_checked(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "t"}
    s = load_settings(write(tmp_path, "[discord]\n"), env)
    assert s.discord is not None and (s.discord.shard_count, s.discord.shard_ids) == (1, None)
    assert (s.cluster.lease_seconds, s.cluster.outbox_lease_seconds) == (30.0, 120.0)
    s = load_settings(
        write(
            tmp_path,
            "[discord]\nshard_count = 4\nshard_ids = [3, 1]\n"
            "[cluster]\nlease_seconds = 10\noutbox_lease_seconds = 45.5\n",
        ),
        env,
    )
    assert s.discord is not None and (s.discord.shard_count, s.discord.shard_ids) == (4, (1, 3))
    assert (s.cluster.lease_seconds, s.cluster.outbox_lease_seconds) == (10.0, 45.5)
    bad = write(
        tmp_path,
        "[discord]\nshard_count = 2\nshard_ids = [0, 2, 0]\n"
        '[cluster]\nlease_seconds = 1\noutbox_lease_seconds = "long"\nwho = 1\n',
    )
    with pytest.raises(ConfigError) as err:
        load_settings(bad, env)
    text = str(err.value)
    assert "discord.shard_ids: [2] not between 0 and 1 (shard_count is 2)" in text
    assert "discord.shard_ids: a shard is listed twice" in text
    assert "cluster.lease_seconds: 1 must be a number of seconds, 3 or more" in text
    assert "cluster.outbox_lease_seconds: 'long' must be a number of seconds" in text
    assert "cluster.who: unknown setting" in text
    with pytest.raises(ConfigError, match=r"discord\.shard_count: 0 must be a whole number"):
        load_settings(write(tmp_path, "[discord]\nshard_count = 0\n"), env)
    with pytest.raises(ConfigError, match=r"discord\.shard_ids: must be a list of shard numbers"):
        load_settings(write(tmp_path, '[discord]\nshard_ids = ["0"]\n'), env)


def test_a_postgresql_database_is_kept_as_its_dsn_and_never_shown_with_its_password(
    tmp_path: Path,
) -> None:
    from bot import datapath

    dsn = "postgresql://bot:s3cret@db.example:5432/pointbot"
    path = write(tmp_path, f'[bot]\ndatabase = "{dsn}"\ndata_dir = "data"\n')
    s = load_settings(path, {})
    assert s.database == dsn  # no folder applies to it, data_dir neither
    assert "s3cret" not in repr(s)
    assert datapath.shown(s.database) == "postgresql://bot:***@db.example:5432/pointbot"
    env = load_settings(write(tmp_path, ""), {"BOT_DATABASE": "postgres://u:pw@h/db"})
    assert env.database == "postgres://u:pw@h/db" and "pw@" not in repr(env)
    assert datapath.for_command(dsn, Path("/x.sqlite3")) == dsn
    assert datapath.for_command(None, s.database) == dsn
    assert datapath.existing(dsn) is None  # checked when it opens, not here
    # A SQLite path stays as it was.
    lite = load_settings(write(tmp_path, '[bot]\ndatabase = "y.sqlite3"\n'), {})
    assert lite.database == tmp_path / "y.sqlite3"
