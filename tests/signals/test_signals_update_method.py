"""What the reference leaves open about writes, handled liberally against a server unlike the
sandbox: which method updates a signal (PATCH first, and on a 405 PUT with every updatable
field, remembered), and a create answered with the record wrapped under `data`."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from flintt_pipeline.lib.api import FlinttClient


class PutOnly(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, dict]]] = []

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_PATCH(self) -> None:
        self.seen.append(("PATCH", self.path, self._body()))
        self._answer(405, {"detail": "Method Not Allowed"})

    def do_PUT(self) -> None:
        body = self._body()
        self.seen.append(("PUT", self.path, body))
        self._answer(200, {"id": self.path.rsplit("/", 1)[1], **body})

    def do_POST(self) -> None:
        body = self._body()
        self.seen.append(("POST", self.path, body))
        self._answer(200, {"data": {"id": "new-1", **body}})

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, {}))
        self._answer(200, {"items": []})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    PutOnly.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PutOnly)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_patch_falls_back_to_put_with_every_updatable_field(server: str) -> None:
    desired = {"name": "Renamed", "status": "paused", "schedule": None}
    with FlinttClient(base_url=server, api_key="flt_test", max_attempts=1) as client:
        writer = client.writer()
        answer = writer.update_signal("s1", changes={"name": "Renamed"}, desired=desired)
        writer.update_signal("s2", changes={"status": "paused"}, desired=desired)
    assert answer == {"id": "s1", **desired}
    assert PutOnly.seen == [
        ("PATCH", "/v1/signals/s1", {"name": "Renamed"}),
        ("PUT", "/v1/signals/s1", desired),
        ("PUT", "/v1/signals/s2", desired),  # the 405 was remembered
    ]


def test_a_create_answered_under_data_is_not_sent_again(server: str) -> None:
    with FlinttClient(base_url=server, api_key="flt_test", max_attempts=1) as client:
        created = client.writer().create_once("signals", {"name": "N"}, matches=lambda _: True)
    assert created == {"id": "new-1", "name": "N"}
    assert PutOnly.seen == [("POST", "/v1/signals", {"name": "N"})]
