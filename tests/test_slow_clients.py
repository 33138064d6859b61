"""Slow clients against a real uvicorn server on 127.0.0.1, over raw sockets: a request body that
trickles in is cut off after ``VENDO_REQUEST_READ_TIMEOUT_SECONDS`` (1.5 s here) with a 408 in
the route's envelope and the connection closed, and nothing it carried is written."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from app.settings import Settings
from tests.support.servers import demo_credentials, gateway, seeded_database

READ_TIMEOUT = 1.5
KEEP_ALIVE_SECONDS = 5  # uvicorn's default timeout_keep_alive, which tests/support/servers.py keeps
TIMED_OUT = "Request body not received in time"
TOGGLE = b'{"enabled": true}'


@dataclass
class Served:
    port: int
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A gateway on its own seeded SQLite file, served by uvicorn in a thread."""
    url = seeded_database(tmp_path_factory.mktemp("slow") / "vendo.db")
    token, _ = demo_credentials(url)
    settings = Settings(database_url=url, request_read_timeout_seconds=READ_TIMEOUT)
    with gateway(settings) as base:
        yield Served(int(base.rsplit(":", 1)[1]), token)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the end of the request head to the end of the answer
    sent: int  # body bytes sent before the answer came
    closed: bool  # the server closed the connection after answering
    closed_after: float  # seconds from the answer's last byte to the close (or the wait's end)


def trickle(
    served: Served, method: str, path: str, headers: dict[str, str], body: bytes, every: float
) -> Answer:
    """Send the head at once, then ``body`` one byte every ``every`` seconds, until the server
    answers; read the answer and whether the connection is then closed."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(head)
        started, sent = time.monotonic(), 0
        while not select.select([sock], [], [], every if sent < len(body) else 20)[0]:
            assert sent < len(body), "the whole body was sent and no answer came"
            sock.sendall(body[sent : sent + 1])
            sent += 1
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        raw_head, _, rest = received.partition(b"\r\n\r\n")
        status_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
        answer_headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer_headers[name.strip().lower()] = value.strip()
        length = int(answer_headers["content-length"])
        while len(rest) < length:
            rest += sock.recv(65536)
        seconds = time.monotonic() - started
        # A GET's unread body is left to uvicorn's keep-alive timeout (5 s), armed when the
        # answer went out: wait past it, so that the two timers never race.
        sock.settimeout(KEEP_ALIVE_SECONDS + 5)
        answered = time.monotonic()
        closed = sock.recv(1) == b""
        closed_after = time.monotonic() - answered
    status = int(status_line.split()[1])
    return Answer(status, answer_headers, rest, seconds, sent, closed, closed_after)


def telegram_enabled(served: Served) -> bool:
    cookie = {"Cookie": f"vendo_session={served.token}"}
    response = httpx.get(f"{served.base}/api/integrations/telegram", headers=cookie)
    assert response.status_code == 200, response.text
    return bool(response.json()["tenantEnabled"])


def cookie_json(served: Served) -> dict[str, str]:
    return {"Cookie": f"vendo_session={served.token}", "Content-Type": "application/json"}


def assert_cut_off(answer: Answer) -> None:
    """Answered once the read timeout passed (not at once, not much later), then closed."""
    assert READ_TIMEOUT - 0.1 <= answer.seconds < READ_TIMEOUT + 3, answer.seconds
    assert answer.headers["connection"] == "close"
    assert answer.closed


def test_body_one_byte_every_2_seconds_is_408_and_writes_nothing(served: Served) -> None:
    before = telegram_enabled(served)
    answer = trickle(
        served, "POST", "/api/integrations/telegram", cookie_json(served), TOGGLE, every=2.0
    )
    assert answer.status == 408
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == {"message": TIMED_OUT}
    assert answer.body == b'{"message":"Request body not received in time"}'
    assert_cut_off(answer)
    assert telegram_enabled(served) == before


def test_body_that_keeps_trickling_is_cut_off_after_the_timeout_in_all(served: Served) -> None:
    """A byte every 0.3 s never leaves the connection idle long: the bound is on the whole
    body, not on the gap between its bytes."""
    before = telegram_enabled(served)
    answer = trickle(
        served, "POST", "/api/integrations/telegram", cookie_json(served), TOGGLE, every=0.3
    )
    assert answer.status == 408
    assert answer.body == b'{"message":"Request body not received in time"}'
    assert answer.sent >= 3
    assert_cut_off(answer)
    assert telegram_enabled(served) == before


def test_trickled_v1_body_is_408_in_text(served: Served) -> None:
    headers = {"Authorization": "Bearer vendo_sk_whatever", "X-Account-ID": "demo"}
    body = b'{"params": {"region": "eu"}}'
    answer = trickle(served, "POST", "/api/v1/integrations/openai/install", headers, body, 2.0)
    assert answer.status == 408
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.body == TIMED_OUT.encode()
    assert_cut_off(answer)


def test_trickled_graphql_body_is_408_in_graphql_shape(served: Served) -> None:
    headers = {"Content-Type": "application/json"}
    answer = trickle(served, "POST", "/graphql", headers, b'{"query": "{ __typename }"}', 2.0)
    assert answer.status == 408
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == {
        "errors": [{"message": TIMED_OUT, "extensions": {"code": "BAD_USER_INPUT"}}]
    }
    assert_cut_off(answer)


def test_trickled_body_of_a_get_does_not_hold_the_connection(served: Served) -> None:
    """No route reads a GET's body: the answer goes out at once, and the connection is closed
    when uvicorn's keep-alive timeout passes without the rest of the body, not held open."""
    answer = trickle(served, "GET", "/api/pricing/integrations", {}, b"x" * 10, 2.0)
    assert answer.status == 200
    assert answer.sent == 0
    assert answer.seconds < 1.0
    assert answer.closed
    assert answer.closed_after < KEEP_ALIVE_SECONDS + 2


def test_body_sent_in_pieces_within_the_timeout_is_answered(served: Served) -> None:
    before = telegram_enabled(served)
    answer = trickle(
        served,
        "POST",
        "/api/integrations/telegram",
        cookie_json(served),
        b'{"enabled": %s}' % (b"false" if before else b"true"),
        every=0.02,
    )
    assert answer.status == 200, answer.body
    assert json.loads(answer.body) == {"enabled": not before}
    assert "connection" not in answer.headers
    assert telegram_enabled(served) is not before
    assert httpx.get(f"{served.base}/healthz").status_code == 200
