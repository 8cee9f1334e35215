"""The reference does not say which method updates a signal: PATCH first, and on a 405 PUT with
every updatable field, remembered for the next update. A server that takes only PUT."""

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
