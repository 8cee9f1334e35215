"""Flintt's write endpoints: create companies, prospects and signals; update and delete signals.

A create is not idempotent, so `create_once` never sends one twice blindly: when the answer is
lost (timeout, dropped connection, 5xx) it lists the stream and looks for the record before
trying again. Updates are idempotent and retried by the transport. A look waits until no create
is in flight and holds new ones back: a list that grows while it is paged through cannot be read
reliably. Which method updates a signal is not documented: PATCH first, PUT with every updatable
field when PATCH answers 405.
"""

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from flintt_pipeline.lib.api.errors import RejectedError, ServerError, UncertainWriteError
from flintt_pipeline.lib.api.json_stream import object_from_bytes
from flintt_pipeline.lib.api.paths import api_path
from flintt_pipeline.lib.api.transport import Transport

Record = dict[str, Any]
CreatedStream = Literal["companies", "prospects", "signals"]
# What Flintt documents as updatable on a signal; a description cannot be changed in place.
SIGNAL_UPDATABLE = ("name", "status", "schedule")
# Creates tried per record when each answer is lost and the record is not found afterwards.
CREATE_ATTEMPTS = 3


class FlinttWriter:
    """Writes over a client's transport; made by `FlinttClient.writer()`."""

    def __init__(self, *, transport: Transport, listing: Callable[[str], Iterable[Record]]) -> None:
        self._transport = transport
        self._listing = listing
        self._update_method: str | None = None
        self._quiet = threading.Condition()
        self._in_flight = 0
        self._looking = False

    def create_once(
        self, stream: CreatedStream, fields: Record, *, matches: Callable[[Record], bool]
    ) -> Record:
        """POST the record; when the answer is lost, the listed record `matches` picks out is
        the answer, and only when there is none is the create sent again. Raises RejectedError
        (4xx), UncertainWriteError (still unknown after CREATE_ATTEMPTS) or other FlinttErrors."""
        attempt = 1
        while True:
            try:
                with self._posting():
                    created = self._transport.send(
                        "POST", f"/v1/{stream}", body=fields, idempotent=False
                    )
                created = _unwrapped(created)
                if created is not None and created.get("id"):
                    return created
                failure: ServerError = UncertainWriteError(
                    f"POST /v1/{stream} answered without the new record's id"
                )
            except UncertainWriteError as error:
                failure = error
            found = self.find(stream, matches)
            if found is not None:
                return found
            if attempt >= CREATE_ATTEMPTS:
                raise failure
            attempt += 1

    def find(self, stream: str, matches: Callable[[Record], bool]) -> Record | None:
        """The first listed record of `stream` that `matches`, read while no create runs."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._looking)
            self._looking = True
            self._quiet.wait_for(lambda: self._in_flight == 0)
        try:
            return next((record for record in self._listing(stream) if matches(record)), None)
        finally:
            with self._quiet:
                self._looking = False
                self._quiet.notify_all()

    @contextmanager
    def _posting(self) -> Iterator[None]:
        with self._quiet:
            self._quiet.wait_for(lambda: not self._looking)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._quiet:
                self._in_flight -= 1
                self._quiet.notify_all()

    def update_signal(self, signal_id: str, *, changes: Record, desired: Record) -> Record | None:
        """Change a signal: PATCH with `changes`, or PUT with every updatable field of `desired`
        when the server does not take PATCH. None when the server answered without a body."""
        path = api_path("v1", "signals", signal_id)
        full = {field: desired.get(field) for field in SIGNAL_UPDATABLE}
        if self._update_method == "PUT":
            return self._transport.send("PUT", path, body=full, idempotent=True)
        try:
            answer = self._transport.send("PATCH", path, body=changes, idempotent=True)
        except RejectedError as error:
            if error.status != 405:
                raise
            self._update_method = "PUT"
            return self._transport.send("PUT", path, body=full, idempotent=True)
        self._update_method = "PATCH"
        return answer

    def delete_signal(self, signal_id: str) -> bool:
        """Delete a signal (and, in Flintt, all its runs); False when it was already gone."""
        try:
            self._transport.send(
                "DELETE", api_path("v1", "signals", signal_id), body=None, idempotent=True
            )
        except RejectedError as error:
            if error.status in (404, 410):
                return False
            raise
        return True

    def get_signal(self, signal_id: str) -> Record | None:
        """One signal's detail (None when gone): the list does not document `description`."""
        path = api_path("v1", "signals", signal_id)
        return self._transport.get(path, params=None, parse=object_from_bytes, allow_missing=True)


def _unwrapped(answer: Record | None) -> Record | None:
    """The record a create answered with: the body itself, or under `data` (as some APIs wrap
    it; the reference does not show the answer)."""
    if answer is not None and "id" not in answer and isinstance(answer.get("data"), dict):
        return answer["data"]
    return answer
