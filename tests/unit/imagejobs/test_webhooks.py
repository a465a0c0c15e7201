"""Webhooks: signatures checked by an independent implementation (the `standardwebhooks`
package, and the spec's published example), the callback URL table, events recorded exactly once
with the terminal transition (store on SQLite), the delivery's decisions per answer, and the
recovery of lost events."""

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from imagejobs.api.app import handle_request
from imagejobs.api.http import HttpRequest
from imagejobs.config import ConfigError, Settings
from imagejobs.errors import BadRequest, IdempotencyKeyReused
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.jobs import queries
from imagejobs.jobs.events import MAX_EVENT_REDRIVES, EventOutbox, redrive_lost_events
from imagejobs.jobs.model import iso_utc
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.processing import ACK, JobProcessor
from imagejobs.jobs.service import JobService
from imagejobs.jobs.uploads import Upload, validate_upload
from imagejobs.webhooks import delivery as delivery_module
from imagejobs.webhooks.callback_urls import (
    MAX_CALLBACK_URL_CHARS,
    InvalidCallbackUrl,
    check_callback_url,
    whatwg_ipv4,
)
from imagejobs.webhooks.delivery import MAX_ATTEMPTS, DeliveryError, WebhookDelivery, event_id, retry_delay
from imagejobs.webhooks.signing import InvalidSecret, secret_bytes, signature

from .images import header_only_png, png
from .sqlite_database import REPO

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OWNER = "a@example.com"
HOOK = "https://hooks.example.com/images"


# --- Signing -----------------------------------------------------------------------------------


def test_the_signature_matches_the_specs_published_example():
    body = b'{"test": 2432232314}'
    assert (
        signature(secret_bytes(SECRET), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_the_standardwebhooks_package_signs_the_same_and_verifies_ours():
    body = '{"type":"job.completed","data":{"job":{"id":"x"}}}'
    timestamp = int(datetime.now(UTC).timestamp())
    ours = signature(secret_bytes(SECRET), "evt_1", timestamp, body.encode())
    theirs = Webhook(SECRET).sign("evt_1", datetime.fromtimestamp(timestamp, UTC), body)
    assert ours == theirs
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(timestamp), "webhook-signature": ours}
    assert Webhook(SECRET).verify(body, headers) == json.loads(body)
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(SECRET).verify(body + " ", headers)


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="])
def test_a_malformed_secret_is_refused(secret):
    with pytest.raises(InvalidSecret):
        secret_bytes(secret)
    with pytest.raises(ConfigError):
        Settings.from_vars({"WEBHOOK_SECRET": secret}.get)


def test_the_dev_secret_in_dev_vars_is_valid():
    line = next(line for line in (REPO / ".dev.vars").read_text().splitlines() if line.startswith("WEBHOOK_SECRET="))
    assert len(secret_bytes(line.split("=", 1)[1])) >= 24


# --- Callback URLs -----------------------------------------------------------------------------

REFUSED = [
    "http://hooks.example.com/x",  # not https
    "ftp://hooks.example.com/x",
    "https://user:pw@hooks.example.com/x",  # credentials
    "https://user@hooks.example.com/x",
    "https://localhost/x",
    "https://LOCALHOST./x",
    "https://api.localhost/x",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/x",
    "https://intranet/x",  # a single label resolves only locally
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://2130706433/x",  # 127.0.0.1 as one decimal number
    "https://0x7f000001/x",
    "https://0x7f.1/x",
    "https://0177.0.0.1/x",  # octal
    "https://10.0.0.1/x",
    "https://172.16.5.4/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data/",  # link-local: the cloud metadata address
    "https://100.64.0.1/x",  # CGNAT
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",  # multicast
    "https://[::1]/x",
    "https://[::]/x",
    "https://[fe80::1]/x",  # link-local
    "https://[fd00::1]/x",  # unique-local
    "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "https://[::ffff:a9fe:a9fe]/x",  # mapped 169.254.169.254
    "https://[64:ff9b::a00:1]/x",  # NAT64 of 10.0.0.1
    "https://[2002:c0a8:101::1]/x",  # 6to4 of 192.168.1.1
    "https://256.1.1.1/x",  # ends in a number but no valid address
    "https://1.2.3.4.5/x",
    "https://hooks.example.com\\@127.0.0.1/x",  # a backslash is a slash to WHATWG parsers
    "https://hooks.example.com/a b",
    "https://hooks.example.com/\t",
    "https://%31%32%37.0.0.1/x",  # percent-encoded host
    "https://hooks.exämple.com/x",  # not ASCII: use the xn-- form
    "https://hooks.example.com:99999/x",
    "https:///x",
    "https://hooks.example.com/" + "a" * (2048 - len("https://hooks.example.com/") + 1),  # 2049
]

ACCEPTED = [
    "https://hooks.example.com/images",
    "https://hooks.example.com:8443/a?b=c",
    "https://xn--exmple-cua.com/x",
    "https://93.184.215.14/x",
    "https://[2606:4700::6810:85e5]/x",
    "https://hooks.example.com/" + "a" * (2048 - len("https://hooks.example.com/")),  # exactly 2048
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_callback_urls(url):
    with pytest.raises(InvalidCallbackUrl):
        check_callback_url(url)


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted_callback_urls(url):
    assert check_callback_url(url) == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/x", "https://[::1]:9/x"])
def test_local_receivers_are_allowed_only_when_private_urls_are(url):
    with pytest.raises(InvalidCallbackUrl):
        check_callback_url(url)
    assert check_callback_url(url, allow_private=True) == url


def test_credentials_and_other_schemes_stay_refused_with_private_urls_allowed():
    for url in ("http://u:p@127.0.0.1/x", "ftp://127.0.0.1/x", "file:///etc/passwd"):
        with pytest.raises(InvalidCallbackUrl):
            check_callback_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("host", "address"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"), ("1.2.3.4.", "1.2.3.4")],
)
def test_ipv4_hosts_are_read_as_a_whatwg_parser_reads_them(host, address):
    assert str(whatwg_ipv4(host)) == address


def test_a_domain_is_no_ipv4_host():
    assert whatwg_ipv4("hooks.example.com") is None


# --- Events recorded with the terminal transition ---------------------------------------------


class MemoryEvents:
    """An `EventQueue` that keeps the job ids it was sent."""

    def __init__(self):
        self.sent: list[str] = []
        self.fail = False

    async def send_events(self, job_ids):
        if self.fail:
            raise OSError("queue is unavailable")
        self.sent.extend(job_ids)


@pytest.fixture
def events():
    return MemoryEvents()


@pytest.fixture
def hooked(store, blobs, queue, events):
    """A service whose jobs' events go to `events`."""
    return JobService(store, blobs, queue, events=EventOutbox(store, events))


def submit(service, run, data=None, callback_url=HOOK, operations=(Operation.GRAYSCALE,)):
    image = validate_upload(Upload("x.png", data or png(4, 3)), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit(OWNER, image, None, operations, callback_url))
    return job


def processor_for(store, blobs, events):
    return JobProcessor(store, blobs, Settings(), events=EventOutbox(store, events))


def test_a_job_without_callback_has_no_webhook_and_no_event(hooked, store, blobs, events, run):
    job = submit(hooked, run, callback_url=None)
    assert job.webhook is None
    run(processor_for(store, blobs, events).process({"jobId": job.id, "operation": "grayscale"}, 1))
    assert run(store.get(job.id)).webhook is None and events.sent == []


def test_a_completed_job_gets_one_event_sent_once(hooked, store, blobs, events, run):
    job = submit(hooked, run, operations=(Operation.GRAYSCALE, Operation.METADATA))
    assert job.webhook.status == "pending" and job.webhook.event_type is None
    processor = processor_for(store, blobs, events)
    run(processor.process({"jobId": job.id, "operation": "grayscale"}, 1))
    assert run(store.get(job.id)).webhook.event_type is None and events.sent == []  # one task still live
    run(processor.process({"jobId": job.id, "operation": "metadata"}, 1))
    done = run(store.get(job.id))
    assert done.webhook.event_type == "job.completed" and done.webhook.event_at == done.completed_at
    assert done.webhook.enqueued_at is not None and events.sent == [job.id]
    run(processor.process({"jobId": job.id, "operation": "metadata"}, 2))  # a redelivery
    assert events.sent == [job.id]


def test_a_failed_job_gets_job_failed(hooked, store, blobs, events, run):
    job = submit(hooked, run, data=header_only_png(4, 3))
    run(processor_for(store, blobs, events).process({"jobId": job.id, "operation": "grayscale"}, 1))
    assert run(store.get(job.id)).webhook.event_type == "job.failed" and events.sent == [job.id]


def test_a_cancelled_job_gets_job_cancelled(hooked, store, events, run):
    job = submit(hooked, run)
    run(hooked.cancel(OWNER, job.id))
    assert run(store.get(job.id)).webhook.event_type == "job.cancelled" and events.sent == [job.id]


def test_an_event_whose_send_failed_is_re_driven_by_the_recovery(hooked, store, events, run):
    job = submit(hooked, run)
    events.fail = True
    run(hooked.cancel(OWNER, job.id))
    events.fail = False
    assert events.sent == [] and run(store.get(job.id)).webhook.enqueued_at is None
    now = datetime.now(UTC)
    assert run(redrive_lost_events(store, events, now=now)) == (0, 0)  # within its first minute
    assert run(redrive_lost_events(store, events, now=now + timedelta(minutes=2))) == (1, 0)
    assert events.sent == [job.id]
    assert run(redrive_lost_events(store, events, now=now + timedelta(minutes=3))) == (0, 0)  # sent now
    # Still pending long after the whole retry schedule: re-sent (the first re-drive above
    # counts), then failed after MAX_EVENT_REDRIVES.
    later = now + timedelta(minutes=2)
    for _ in range(MAX_EVENT_REDRIVES - 1):
        later += timedelta(hours=3)
        assert run(redrive_lost_events(store, events, now=later)) == (1, 0)
    assert run(redrive_lost_events(store, events, now=later + timedelta(hours=3))) == (0, 1)
    assert run(store.get(job.id)).webhook.status == "failed" and len(events.sent) == MAX_EVENT_REDRIVES


# --- Delivery ----------------------------------------------------------------------------------


class Receiver:
    """A `Poster` that answers with the given statuses in turn (None: a timeout), keeping each
    request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[tuple[str, str, dict]] = []

    async def post(self, url, body, headers, *, timeout_seconds, max_response_bytes):
        assert timeout_seconds > 0 and max_response_bytes > 0
        self.requests.append((url, body, headers))
        answer = self.answers.pop(0)
        if answer is None:
            raise DeliveryError("TimeoutError: the operation timed out")
        return answer


def deliverable(hooked, store, run):
    job = submit(hooked, run)
    run(hooked.cancel(OWNER, job.id))
    return job


def delivery(store, receiver):
    return WebhookDelivery(store, receiver, Settings(webhook_secret=SECRET))


def test_a_2xx_delivers_a_signed_event(hooked, store, run):
    job = deliverable(hooked, store, run)
    receiver = Receiver(204)
    assert run(delivery(store, receiver).deliver({"jobId": job.id}, 1)) == ACK
    url, body, headers = receiver.requests[0]
    assert url == HOOK and headers["webhook-id"] == event_id(job.id)
    event = Webhook(SECRET).verify(body, headers)
    assert event["type"] == "job.cancelled" and event["data"]["job"]["id"] == job.id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["timestamp"])
    hook = run(store.get(job.id)).webhook
    assert (hook.status, hook.attempts, hook.last_status_code) == ("delivered", 1, 204)
    assert run(delivery(store, Receiver()).deliver({"jobId": job.id}, 2)) == ACK  # delivered: nothing sent


@pytest.mark.parametrize("answer", [None, 408, 429, 500, 503])
def test_timeouts_408_429_and_5xx_are_retried_with_the_same_id(hooked, store, run, answer):
    job = deliverable(hooked, store, run)
    receiver = Receiver(answer, 200)
    first = run(delivery(store, receiver).deliver({"jobId": job.id}, 1))
    assert first.retry_delay == retry_delay(1) == 30
    assert run(store.get(job.id)).webhook.status == "pending"
    assert run(delivery(store, receiver).deliver({"jobId": job.id}, 2)) == ACK
    assert receiver.requests[0][2]["webhook-id"] == receiver.requests[1][2]["webhook-id"]
    hook = run(store.get(job.id)).webhook
    assert (hook.status, hook.attempts, hook.last_status_code) == ("delivered", 2, 200)


@pytest.mark.parametrize("answer", [301, 400, 404, 410])
def test_other_answers_fail_the_event_at_once(hooked, store, run, answer):
    job = deliverable(hooked, store, run)
    assert run(delivery(store, Receiver(answer)).deliver({"jobId": job.id}, 1)) == ACK
    hook = run(store.get(job.id)).webhook
    assert (hook.status, hook.attempts, hook.last_status_code) == ("failed", 1, answer)


def test_the_last_attempts_failure_fails_the_event(hooked, store, run):
    job = deliverable(hooked, store, run)
    assert run(delivery(store, Receiver(500)).deliver({"jobId": job.id}, MAX_ATTEMPTS)) == ACK
    assert run(store.get(job.id)).webhook.status == "failed"


def test_the_retry_schedule_spans_about_an_hour_and_matches_wrangler():
    delays = [retry_delay(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert delays == [30, 60, 120, 240, 480, 960, 1800]
    assert 55 * 60 <= sum(delays) <= 70 * 60
    config = (REPO / "wrangler.jsonc").read_text()
    consumer = re.search(r'"queue": "webhook-deliveries",(.*?)\}', config, re.S).group(1)
    assert f'"max_retries": {MAX_ATTEMPTS - 1},' in consumer
    assert '"dead_letter_queue": "webhook-dlq"' in consumer


def test_the_dead_letter_queue_fails_a_pending_event(hooked, store, run):
    job = deliverable(hooked, store, run)
    assert run(delivery(store, Receiver()).dead_letter({"jobId": job.id})) == ACK
    assert run(store.get(job.id)).webhook.status == "failed"


def test_malformed_or_unknown_messages_are_acked(store, run):
    for body in (None, {}, {"jobId": 5}, {"jobId": "no-such-job"}):
        assert run(delivery(store, Receiver()).deliver(body, 1)) == ACK


def test_delivery_without_a_secret_raises_so_the_broker_retries(hooked, store, run):
    job = deliverable(hooked, store, run)
    with pytest.raises(RuntimeError, match="WEBHOOK_SECRET"):
        run(WebhookDelivery(store, Receiver(200), Settings()).deliver({"jobId": job.id}, 1))


def test_the_event_body_is_ascii_json_of_the_event(hooked, store, run):
    job = deliverable(hooked, store, run)
    body = delivery_module.event_body(run(store.get(job.id)))
    assert body.isascii() and set(json.loads(body)) == {"type", "timestamp", "data"}
    assert iso_utc(datetime.now(UTC)) >= json.loads(body)["timestamp"]


# --- The callback_url form field through the API -----------------------------------------------


class CallbackForm:
    """A multipart body as platform/http.py reads it: the file, and `callback_url` values bounded
    by `max_chars` in all (BadRequest beyond, as the platform's reader)."""

    def __init__(self, *callback_urls):
        self.callback_urls = list(callback_urls)

    async def read_file_field(self, name, max_bytes):
        return Upload("a.png", png(4, 3))

    async def read_text_values(self, name, max_chars):
        if name != "callback_url":
            return []
        if sum(map(len, self.callback_urls)) > max_chars:
            raise BadRequest(f"the form field '{name}' is longer than {max_chars} characters")
        return self.callback_urls


def create(run, service, settings, *callback_urls):
    request = HttpRequest(
        "POST",
        "/api/jobs",
        headers={"content-type": "multipart/form-data; boundary=x", "x-dev-user": OWNER},
        body=CallbackForm(*callback_urls),
    )
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(_no_fetch))
    response = run(handle_request(request, settings, service, authenticator))
    return response.status, json.loads(response.body)


async def _no_fetch(url, *, max_bytes):
    raise OSError("unit tests fetch nothing")


CONFIGURED = Settings(auth_mode="dev", webhook_secret=SECRET)


def test_callback_url_length_just_under_and_over_its_bound(run, hooked):
    base = "https://hooks.example.com/"
    status, body = create(run, hooked, CONFIGURED, base + "a" * (MAX_CALLBACK_URL_CHARS - len(base)))
    assert status == 202 and body["job"]["webhook"]["status"] == "pending"
    status, body = create(run, hooked, CONFIGURED, base + "a" * (MAX_CALLBACK_URL_CHARS - len(base) + 1))
    assert (status, body["error"]["code"]) == (422, "invalid_callback_url")
    status, body = create(run, hooked, CONFIGURED, base + "a" * (2 * MAX_CALLBACK_URL_CHARS))
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_callback_url_refusals_through_the_api_create_nothing(run, hooked, store):
    assert create(run, hooked, CONFIGURED, "https://169.254.169.254/")[1]["error"]["code"] == "invalid_callback_url"
    assert create(run, hooked, CONFIGURED, HOOK, HOOK)[0] == 400  # given twice
    without_secret = Settings(auth_mode="dev")
    assert create(run, hooked, without_secret, HOOK)[1]["error"]["code"] == "webhooks_not_configured"
    assert run(store.list(OWNER, limit=10)).jobs == []
    status, body = create(run, hooked, without_secret)  # no callback_url: no secret needed
    assert status == 202 and body["job"]["webhook"] is None


def test_a_job_failed_in_bulk_by_the_sweep_gets_its_event(hooked, store, run):
    job = submit(hooked, run)
    far = iso_utc(datetime.now(UTC) + timedelta(days=2))
    failed = run(store.fail_stale(not_updated_since=far, message="no sign of life", limit=10, now=far))
    assert [row["job_id"] for row in failed] == [job.id]
    hook = run(store.get(job.id)).webhook
    assert (hook.event_type, hook.status, hook.enqueued_at) == ("job.failed", "pending", None)  # the cron sends it


@pytest.mark.parametrize(
    ("name", "params", "index"),
    [
        ("CREATE_WEBHOOK_EVENTS", 0, "jobs_webhook_unrecorded"),
        ("SELECT_LOST_WEBHOOKS", 5, "jobs_webhook_pending"),
        ("FAIL_LOST_WEBHOOKS", 3, "jobs_webhook_pending"),
    ],
)
def test_the_crons_webhook_statements_read_only_their_partial_index(name, params, index):
    connection = sqlite3.connect(":memory:")
    connection.executescript((REPO / "schema.sql").read_text())
    plan = connection.execute(f"EXPLAIN QUERY PLAN {getattr(queries, name)}", [None] * params)
    details = " ".join(row[3] for row in plan.fetchall())
    assert f"USING INDEX {index}" in details, details


def test_an_idempotent_replay_must_name_the_same_callback(hooked, run):
    image = validate_upload(Upload("x.png", png(4, 3)), max_bytes=10**7, max_pixels=10**7)
    job, created = run(hooked.submit(OWNER, image, "key-1", (Operation.GRAYSCALE,), HOOK))
    replay, again = run(hooked.submit(OWNER, image, "key-1", (Operation.GRAYSCALE,), HOOK))
    assert created and not again and replay.id == job.id
    for other in (None, HOOK + "/other"):
        with pytest.raises(IdempotencyKeyReused, match="callback_url"):
            run(hooked.submit(OWNER, image, "key-1", (Operation.GRAYSCALE,), other))
