"""`flintt-pipeline sandbox`: prints how to reach it, serves until interrupted."""

import signal
import socket
import subprocess
import sys

import httpx
from click.testing import CliRunner

from flintt_pipeline.cli.sandbox import sandbox

COMMAND = "from flintt_pipeline.cli.sandbox import sandbox; sandbox()"


def test_serves_what_it_prints_until_interrupted() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            COMMAND,
            "--port",
            "0",
            "--companies",
            "5",
            "--prospects",
            "7",
            "--signals",
            "2",
            "--runs",
            "4",
            "--list-shape",
            "items",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            name, _, value = line.strip().partition("=")
            printed[name] = value
            if line.startswith("Control API"):
                break
        assert printed["FLINTT_BASE_URL"].startswith("http://127.0.0.1:")
        assert printed["FLINTT_API_KEY"].startswith("flt_")
        with httpx.Client(base_url=printed["FLINTT_BASE_URL"], trust_env=False) as http:
            listed = http.get("/v1/companies", headers={"X-API-Key": printed["FLINTT_API_KEY"]})
            assert len(listed.json()["items"]) == 5
            token = {"Authorization": f"Bearer {printed['FLINTT_MANAGEMENT_TOKEN']}"}
            assert http.get("/api/api-key", headers=token).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
        process.wait()


def test_fault_without_rate_or_count_is_a_usage_error() -> None:
    result = CliRunner().invoke(sandbox, ["--fault", "429"])
    assert result.exit_code == 2
    assert "--fault needs --fault-rate or --fault-count" in result.output


def test_a_taken_port_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(sandbox, ["--port", str(port), "--companies", "1"])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert len(result.output.strip().splitlines()) == 1
