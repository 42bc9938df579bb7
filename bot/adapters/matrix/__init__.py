"""The Matrix platform (matrix-nio): see :class:`MatrixAdapter`.

Modules: ``adapter`` (sending verbs, roles), ``login`` (on the device the keys belong to),
``sync`` (the sync loop, invites), ``inbound`` (events -> neutral events, pure), ``render``
(outgoing content, HTML sanitising, pure), ``state`` (what survives a restart), ``errors``
(nio -> AdapterError); end-to-end encryption: ``crypto`` (key upkeep, encrypting sends),
``store`` (the key folder), ``trust`` (which devices get room keys), ``undecrypted`` (events
waiting for their key).
"""

from bot.adapters.matrix.adapter import MatrixAdapter, client_config
from bot.adapters.matrix.inbound import PLATFORM

__all__ = ["PLATFORM", "MatrixAdapter", "client_config"]
