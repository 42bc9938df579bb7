"""The Matrix platform (matrix-nio): see :class:`MatrixAdapter`.

Modules: ``adapter`` (login, sending verbs, roles), ``sync`` (the sync loop, invites,
encrypted rooms), ``inbound`` (events -> neutral events, pure), ``render`` (outgoing content,
HTML sanitising, pure), ``state`` (what survives a restart), ``errors`` (nio -> AdapterError).
"""

from bot.adapters.matrix.adapter import MatrixAdapter, client_config
from bot.adapters.matrix.inbound import PLATFORM

__all__ = ["PLATFORM", "MatrixAdapter", "client_config"]
