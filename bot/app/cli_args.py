"""What the commands that read an existing database share: how they fail, and which file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot import datapath
from bot.config import ConfigError, load_settings

EXIT_USAGE = 2
EXIT_INPUT = 3


class CliFailure(Exception):
    """A command cannot go on; ``message`` is the one line it prints, ``code`` its exit."""

    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def fail(message: str, code: int = EXIT_INPUT) -> int:
    print(f"bot: {message}", file=sys.stderr)
    return code


def existing_database(args: argparse.Namespace) -> datapath.Location:
    """The database the command's ``--config`` / ``--database`` name, which must exist
    (a command that only reads never creates one)."""
    config = getattr(args, "config", None)
    try:
        settings = load_settings(Path(config) if config else None, os.environ)
    except ConfigError as exc:
        raise CliFailure(str(exc), EXIT_USAGE) from None
    path = datapath.for_command(getattr(args, "database", None), settings.database)
    if why := datapath.existing(path):
        raise CliFailure(why)
    return path
