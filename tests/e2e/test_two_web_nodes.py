"""Web nodes hold no state of their own: two gunicorn instances on different ports, each with its own disk, share
one PostgreSQL, Redis and S3-compatible store (moto in server mode), plus one worker. A requester opens a ticket
with an attachment on node A, an agent replies on node B, the worker mails the requester, and the attachment
downloads from either node."""

from __future__ import annotations

import requests

from tests.support.s3 import MotoS3
from tests.support.servers import celery_worker, gunicorn, wait_until

WAIT = 120
CONTENT = b"2026-12-01 12:00:01 ERROR printer on fire\n"


def test_a_ticket_opened_on_one_node_is_answered_on_the_other(site, smtp, environment, tmp_path):
    moto = MotoS3(tmp_path).start()
    node_a, node_b, worker_dir = (tmp_path / name for name in ("a", "b", "worker"))
    for folder in (node_a, node_b, worker_dir):
        folder.mkdir()
    try:
        env = environment(**moto.environment())
        with (
            celery_worker({**env, "VAR_DIR": str(worker_dir)}, worker_dir) as worker,
            gunicorn({**env, "VAR_DIR": str(node_a)}, node_a, workers=1) as a,
            gunicorn({**env, "VAR_DIR": str(node_b)}, node_b, workers=1) as b,
        ):
            requester = {"Authorization": f"Bearer {site.requester_token}"}
            agent = {"Authorization": f"Bearer {site.agent_token}"}
            opened = requests.post(
                f"{a.url}/api/v1/tickets/", json={"subject": "Printer"}, headers=requester, timeout=30
            )
            number = opened.json()["id"]
            attached = requests.post(
                f"{a.url}/api/v1/tickets/{number}/comments/",
                data={"body": "The log"},
                files={"files": ("printer.log", CONTENT, "text/plain")},
                headers=requester,
                timeout=30,
            )
            assert attached.status_code == 201, attached.text
            [attachment] = attached.json()["attachments"]

            replied = requests.post(
                f"{b.url}/api/v1/tickets/{number}/comments/", json={"body": "On it."}, headers=agent, timeout=30
            )
            assert replied.status_code == 201, replied.text
            wait_until(
                lambda: any("On it." in str(message.get_body(("plain",)).get_content()) for message in smtp.messages()),
                timeout=WAIT,
                what=f"the reply's mail\n{worker.tail()}",
            )

            path = f"/api/v1/attachments/{attachment['id']}/download"
            from_a = requests.get(f"{a.url}{path}", headers=requester, timeout=30)
            from_b = requests.get(f"{b.url}{path}", headers=agent, timeout=30)
            stranger = requests.get(f"{b.url}{path}", timeout=30)
            conversation = requests.get(f"{b.url}/api/v1/tickets/{number}/comments/", headers=requester, timeout=30)
        # Checked after the web nodes and the worker stopped; the store is still up.
        assert (from_a.status_code, from_a.content) == (200, CONTENT)
        assert (from_b.status_code, from_b.content) == (200, CONTENT)
        assert stranger.status_code in (401, 403, 404)
        assert [comment["body"] for comment in conversation.json()["results"]] == ["The log", "On it."]
        assert [key for key in moto.object_keys() if key.startswith("attachments/")], "the file is in the bucket"
        for folder in (node_a, node_b):  # neither node kept the file on its own disk
            assert not (folder / "attachments").exists() or not any((folder / "attachments").rglob("*"))
        reply = next(message for message in smtp.messages() if "On it." in message.get_body(("plain",)).get_content())
        assert str(reply["To"]) == "requester@example.com" and str(reply["Subject"]) == f"[#{number}] Printer"
    finally:
        moto.stop()
