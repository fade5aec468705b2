"""Real processes: gunicorn, a Celery worker with beat on real Redis, PostgreSQL and an SMTP server. A change
committed by a web request is handled by the worker and its mail arrives; a worker SIGKILLed mid-load and started
again loses no mail; a mail server that is down delays mail and loses none."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.support.servers import celery_worker, gunicorn, wait_until

# One process runs these (make test: --dist loadgroup): they share E2E_REDIS_URL, which each test empties.
pytestmark = pytest.mark.xdist_group("e2e-redis")

WAIT = 120  # seconds; generous, CI runs this beside the rest of the suite on two cores


def open_ticket(url: str, token: str, subject: str) -> int:
    response = requests.post(
        f"{url}/api/v1/tickets/", json={"subject": subject}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_reply_committed_by_a_web_request_is_mailed_by_the_worker(site, smtp, environment, tmp_path):
    env = environment()
    with celery_worker(env, tmp_path) as worker, gunicorn(env, tmp_path, workers=2) as web:
        number = open_ticket(web.url, site.requester_token, "Cannot print")
        reply = requests.post(
            f"{web.url}/api/v1/tickets/{number}/comments/",
            json={"body": "Try turning it **off** and on."},
            headers={"Authorization": f"Bearer {site.agent_token}"},
            timeout=30,
        )
        assert reply.status_code == 201, reply.text

        wait_until(lambda: len(smtp.messages()) >= 2, timeout=WAIT, what=f"two mails\n{worker.tail()}")
        ready = requests.get(f"{web.url}/readyz/worker", timeout=30)
        metrics = requests.get(f"{web.url}/metrics", timeout=30).text

    confirmation, answer = sorted(smtp.messages(), key=lambda message: "received" not in str(message["Subject"]))
    assert str(confirmation["Subject"]) == f"[#{number}] We received your request: Cannot print"
    assert str(answer["To"]) == "requester@example.com" and str(answer["Subject"]) == f"[#{number}] Cannot print"
    assert str(answer["In-Reply-To"]) == str(confirmation["Message-ID"])
    assert str(confirmation["Auto-Submitted"]) == "auto-generated" and "Auto-Submitted" not in answer  # a person's
    assert "+t" in str(answer["Reply-To"])
    text = answer.get_body(("plain",)).get_content()
    html = answer.get_body(("html",)).get_content()
    assert f"https://help.example.com/tickets/{number}/" in text and "<strong>off</strong>" in html
    assert site.sql("SELECT status, count(*) FROM notifications_notification GROUP BY status") == [("sent", 2)]
    assert ready.status_code == 200, ready.text
    assert 'helpdesk_queue_depth{queue="celery"}' in metrics
    assert 'helpdesk_notifications{status="failed"} 0.0' in metrics


def test_a_worker_killed_mid_load_and_restarted_loses_no_mail(site, smtp, environment, tmp_path):
    env = environment()
    tickets = 15
    opened: list[int] = []
    with celery_worker(env, tmp_path) as worker, gunicorn(env, tmp_path, workers=2) as web:

        def load() -> None:
            for index in range(tickets):
                opened.append(open_ticket(web.url, site.requester_token, f"Load {index}"))

        writer = threading.Thread(target=load)
        writer.start()
        wait_until(lambda: len(smtp.messages()) >= 5, timeout=WAIT, what=f"the first mails\n{worker.tail()}")
        worker.kill()
        killed_at = len(smtp.message_ids())
        time.sleep(1)  # tickets keep coming while no worker runs
        worker.start()
        writer.join(timeout=WAIT)
        wait_until(lambda: len(smtp.message_ids()) >= tickets, timeout=WAIT, what=f"every mail\n{worker.tail()}")
        # The last mail is accepted by the mail server a moment before the worker records it as sent.
        statuses = "SELECT status, count(*) FROM notifications_notification GROUP BY status"
        wait_until(lambda: site.sql(statuses) == [("sent", tickets)], timeout=WAIT, what="every mail recorded as sent")

    assert len(opened) == tickets and killed_at < tickets
    subjects = {str(message["Subject"]) for message in smtp.messages()}
    assert subjects == {f"[#{number}] We received your request: Load {index}" for index, number in enumerate(opened)}


def test_mail_waits_while_the_mail_server_is_down_and_arrives_when_it_is_back(site, smtp, environment, tmp_path):
    env = environment()
    smtp.stop()
    with celery_worker(env, tmp_path) as worker, gunicorn(env, tmp_path, workers=1) as web:
        numbers = [open_ticket(web.url, site.requester_token, f"While down {index}") for index in range(3)]
        wait_until(
            lambda: site.sql("SELECT count(*) FROM notifications_notification WHERE attempts >= 2")[0][0] == 3,
            timeout=WAIT,
            what=f"failed attempts while the server is down\n{worker.tail()}",
        )
        # Nothing was sent: each waits for its next attempt ("sending" only while an attempt is under way).
        wait_until(
            lambda: site.sql("SELECT DISTINCT status FROM notifications_notification") == [("queued",)],
            timeout=WAIT,
            what=f"every mail waiting between attempts\n{worker.tail()}",
        )
        assert "Connection refused" in site.sql("SELECT last_error FROM notifications_notification LIMIT 1")[0][0]
        smtp.start()
        wait_until(lambda: len(smtp.message_ids()) == 3, timeout=WAIT, what=f"the delayed mails\n{worker.tail()}")

    assert {str(message["Subject"]).split("]")[0] for message in smtp.messages()} == {f"[#{n}" for n in numbers}
