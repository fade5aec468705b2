"""The embedded broker never shows a worker a message that is still being written.

kombu's own filesystem transport creates `<...>.<queue>.msg` empty and writes into it; a worker polling then takes
the empty file, cannot decode it and stops, and the message is gone (seen in CI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kombu import Connection

import helpdesk.kombu_filesystem
from helpdesk.kombu_filesystem import Transport


def test_a_message_gets_its_queue_name_only_once_it_is_complete(tmp_path, monkeypatch):
    folder = tmp_path / "queue"
    folder.mkdir()
    seen_before_rename: list[tuple[list[str], dict]] = []
    real_replace = os.replace

    def replace(source: str, destination: str) -> None:
        seen_before_rename.append((sorted(p.name for p in folder.iterdir()), json.loads(Path(source).read_bytes())))
        real_replace(source, destination)

    monkeypatch.setattr(helpdesk.kombu_filesystem.os, "replace", replace)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    with Connection(transport=Transport, transport_options=options) as connection:
        queue = connection.SimpleQueue("jobs")
        queue.put({"job": 1})
        message = queue.get(timeout=1)
        message.ack()
        queue.close()

    ((names, written),) = seen_before_rename
    assert len(names) == 1 and names[0].endswith(".jobs.msg.part")  # no "<queue>.msg" file while writing
    assert written["body"]  # the whole message was in the file when it got its name
    assert message.payload == {"job": 1}
