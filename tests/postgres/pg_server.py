"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries (which `.ci/run`
installs when missing), a throwaway cluster in a temporary folder, 127.0.0.1 and a free port.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user
that the package creates, and its commands run through `runuser`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
DATABASE = "flintt"


class NoPostgres(Exception):
    """No PostgreSQL server can be started here; str() says why."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    data_dir: Path
    bin_dir: Path
    run_as: tuple[str, ...]

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{SERVER_USER}@{self.host}:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        _run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args])

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w")

    def start(self) -> None:
        options = f"-h {self.host} -p {self.port} -k {self.data_dir} -F -c fsync=off"
        log = self.data_dir / "server.log"
        self.pg_ctl("start", "-w", "-t", "60", "-l", str(log), "-o", options)

    def create_database(self, name: str) -> str:
        _run(
            [
                *self.run_as,
                str(self.bin_dir / "createdb"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                SERVER_USER,
                name,
            ]
        )
        return self.url(name)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise NoPostgres(f"{Path(command[-1]).name}: {(done.stderr or done.stdout).strip()}")


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = candidates[0] if candidates else shutil.which("initdb")
    if not found:
        raise NoPostgres("no PostgreSQL server binaries (initdb): apt-get install postgresql")
    return Path(found).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A fresh cluster with database `flintt`, stopped and deleted afterwards."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="flintt-pg-"))
    run_as: tuple[str, ...] = ()
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise NoPostgres(f"running as root and there is no {SERVER_USER!r} user") from None
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ("runuser", "-u", SERVER_USER, "--")
    server = PostgresServer(
        host="127.0.0.1",
        port=_free_port(),
        data_dir=root / "data",
        bin_dir=bin_dir,
        run_as=run_as,
    )
    try:
        _run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(server.data_dir),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        server.start()
        try:
            server.create_database(DATABASE)
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
