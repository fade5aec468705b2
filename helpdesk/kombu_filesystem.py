"""kombu's filesystem transport (the embedded broker under var/celery), with messages that appear whole.

kombu writes a message by opening `<time>_<uuid>.<queue>.msg` and then writing into it; a worker polling at that
moment can take the still-empty file, fail to decode it (the worker stops) and delete it (the message is lost).
Here a message is written under a name the worker ignores and renamed into place once complete: a rename within
one folder is atomic, so a worker sees either no file or the whole message.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"  # not "<queue>.msg": the worker's poll passes it by
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
