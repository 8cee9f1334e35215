"""The management CLI against a small HTTP server of the tests' own, which records the exact
request target it gets and answers as a hostile or broken server would."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from click.testing import CliRunner, Result

from flintt_pipeline.cli.webhooks import webhooks
from flintt_pipeline.lib.api.management import MAX_RESPONSE_BYTES

JWT = "jwt-" + secrets.token_hex(24)
RECORD = {"id": "w1", "name": "n", "endpoint_url": "https://x.example/h", "event_types": []}
Reply = Callable[["_Handler"], None]


@dataclass
class Recorder:
    base_url: str
    reply: Reply
    seen: list[tuple[str, str]] = field(default_factory=list)
    sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.recorder.seen.append((self.command, self.path))
        self.server.recorder.reply(self)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    recorder: Recorder


def answer_with(status: int, body: bytes) -> Reply:
    return lambda handler: handler.answer(status, body)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def recorder(server: _Server) -> Recorder:
    server.recorder = Recorder(
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        reply=answer_with(200, orjson.dumps(RECORD)),
    )
    return server.recorder


def cli(recorder: Recorder, *args: str, token: str = JWT, base_url: str = "") -> Result:
    env = {"FLINTT_BASE_URL": base_url or recorder.base_url, "FLINTT_MANAGEMENT_TOKEN": token}
    return CliRunner(env=env).invoke(webhooks, list(args))


def one_line_without(result: Result, *secrets: str) -> str:
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr
    return result.output


@pytest.mark.parametrize(
    ("webhook_id", "target"),
    [
        ("../../v1/companies/abc", "/api/outbound-webhooks/..%2F..%2Fv1%2Fcompanies%2Fabc"),
        ("a/b?c=1#d", "/api/outbound-webhooks/a%2Fb%3Fc%3D1%23d"),
        ("%2e%2e", "/api/outbound-webhooks/%252e%252e"),
        ("id with space", "/api/outbound-webhooks/id%20with%20space"),
    ],
)
def test_an_id_is_sent_as_one_escaped_path_segment(
    recorder: Recorder, webhook_id: str, target: str
) -> None:
    recorder.reply = answer_with(204, b"")
    assert cli(recorder, "delete", webhook_id).exit_code == 0
    recorder.reply = answer_with(200, orjson.dumps(RECORD))
    assert cli(recorder, "update", webhook_id, "--disable").exit_code == 0
    assert recorder.seen == [("DELETE", target), ("PATCH", target)]


def test_dot_segment_and_empty_ids_send_nothing(recorder: Recorder) -> None:
    for webhook_id in ("..", ".", ""):
        for args in (("delete", webhook_id), ("update", webhook_id, "--enable")):
            assert "is not a webhook id" in one_line_without(cli(recorder, *args), JWT)
    assert recorder.seen == []


def test_a_token_echoed_back_never_shows_even_in_part(recorder: Recorder) -> None:
    # Every offset around the cut of the error's excerpt, and the token cut in two.
    for offset, status in [(0, 400), (100, 500), (170, 500), (185, 500), (199, 500), (260, 500)]:
        body = b"x" * offset + f"Authorization: Bearer {JWT} again {JWT}".encode()
        recorder.reply = answer_with(status, body)
        output = one_line_without(cli(recorder, "list"), JWT)
        assert f"answered {status} to GET /api/outbound-webhooks" in output
        assert not any(JWT[i : i + 8] in output for i in range(len(JWT) - 8))
    assert len(recorder.seen) == 6


def test_an_endless_answer_is_cut_off(recorder: Recorder) -> None:
    def endless(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"[" + b"1," * 32_767
        try:
            for _ in range(4096):  # 256 MiB at most, should the client never stop reading
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                recorder.sent += len(chunk)
        except OSError:
            pass
        finally:
            recorder.done.set()

    recorder.reply = endless
    output = one_line_without(cli(recorder, "list"), JWT)
    assert "more than 4 MB" in output
    assert recorder.done.wait(timeout=30)
    assert recorder.sent < 4 * MAX_RESPONSE_BYTES


@pytest.mark.parametrize("token", ["jwt-é-not-ascii", "jwt with spaces", "jwt-\x07-bell"])
def test_a_malformed_token_is_one_line_and_sends_nothing(recorder: Recorder, token: str) -> None:
    output = one_line_without(cli(recorder, "list", token=token), token)
    assert "FLINTT_MANAGEMENT_TOKEN is malformed" in output
    assert recorder.seen == []


@pytest.mark.parametrize(
    "template",
    ["http://admin:base-s3cret@{}", "http://base-s3cret@{}", "http://{}/?key=base-s3cret"],
)
def test_a_base_url_with_credentials_or_query_sends_nothing(
    recorder: Recorder, template: str
) -> None:
    base_url = template.format(recorder.base_url.removeprefix("http://"))
    for args in (("list",), ("delete", "w1"), ("register", "--url", "https://x.example/h")):
        result = cli(recorder, *args, base_url=base_url)
        assert "FLINTT_BASE_URL must be" in one_line_without(result, "base-s3cret", JWT)
    assert recorder.seen == []


def test_a_stored_url_with_credentials_is_listed_without_them(recorder: Recorder) -> None:
    stored = {**RECORD, "endpoint_url": "https://user:s3cret-pw@hooks.example.com/h?x=1"}
    recorder.reply = answer_with(200, orjson.dumps({"data": [stored]}))
    listing = cli(recorder, "list")
    assert listing.exit_code == 0
    assert "https://***@hooks.example.com/h?x=1" in listing.output
    assert "s3cret-pw" not in listing.output and "user" not in listing.output
