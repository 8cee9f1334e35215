"""Benchmark: flintt-pipeline against dlt (and a plain-httpx ceiling) on the same sandbox.

    uv run python bench/dlt_compare.py [--scale small|large] [--rounds 3] [--incremental-rounds 3]
                                       [--page-all-lists] [--timeout 1200] [--skip-dlt-install]

One sandbox process serves the workspace (small: 20k companies, 50k prospects, 200 signals, 5k
runs; large: 10x that). Then, in `--rounds` full rounds, each in a rotated order, three child
processes of this one each do a complete read of it:

- ceiling: this file run with `--ceiling`: the same requests as flintt-pipeline's sync (every list,
  the runs pages, the detail of every completed run with results, 8 at a time) made with plain
  httpx and decoded with `response.json()`, then discarded;
- flintt: `flintt-pipeline sync` into a fresh DuckDB file with a fresh DAGSTER_HOME (a copy of
  dagster_home/dagster.yaml), so models are rebuilt too, as a user's sync does;
- dlt: bench/dlt_pipeline.py in a virtual environment of its own, bench/out/dlt-env (made with
  uv; dlt is no dependency of the project), into a fresh pipelines dir and DuckDB file.

Each child is timed from spawn to exit; CPU time (user + system) and peak RSS come from the
child's rusage (os.wait4), which includes anything it spawned and reaped. After each round both
warehouses must hold the same ids per table (flintt: live rows of flintt.<table>; dlt: its
dataset), and as many rows as the ceiling decoded.

Then `--incremental-rounds` incremental rounds on the last full round's warehouses: 1% new runs
are triggered and completed through the control API, then `flintt-pipeline sync --select runs
--select run_results` and dlt's incremental (its runs cursor on created_at, row_order desc, which
stops paging at the first run it already has; run_results only for those runs), alternating which
goes first; the ids are checked again.

Prints a table and writes bench/out/dlt_compare-<scale>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
OUT = BENCH / "out"
DLT_VERSION = "1.31.0"
SCALES = {
    "small": {"companies": 20_000, "prospects": 50_000, "signals": 200, "runs": 5_000},
    "large": {"companies": 200_000, "prospects": 500_000, "signals": 2_000, "runs": 50_000},
}
TABLES = {
    "companies": ("id",),
    "prospects": ("id",),
    "signals": ("id",),
    "runs": ("id",),
    "run_results": ("run_id", "position"),
}
TOOLS = ("ceiling", "flintt", "dlt")
PAGE_SIZE = 1000
DETAIL_CONCURRENCY = 8
PYCACHE = OUT / "pycache"


# ---------------------------------------------------------------------------------------------
# The ceiling: run as a child process (`--ceiling`) so its rusage is its own.


def ceiling(base_url: str, api_key: str) -> dict[str, int]:
    """The requests of a full sync, decoded with `response.json()` and dropped: records decoded
    per table. Pages as flintt-pipeline's client does: `limit=1000` from offset 0, a page longer
    than asked is the whole list, a full page is followed by the next one overlapping it by one
    record, a short page ends the list; then the detail of every completed run with results, on 8
    threads sharing one pooled client. Transport errors are retried, as the client does."""
    import httpx

    counts = dict.fromkeys(TABLES, 0)
    completed: list[str] = []
    limits = httpx.Limits(max_connections=DETAIL_CONCURRENCY + 1)
    with httpx.Client(
        base_url=base_url, headers={"X-API-Key": api_key}, timeout=120, limits=limits
    ) as client:

        def get(path: str, params: dict[str, int] | None = None) -> Any:
            for attempt in range(5):
                try:
                    response = client.get(path, params=params)
                    response.raise_for_status()
                    return response.json()
                except httpx.TransportError:
                    if attempt == 4:
                        raise
            raise AssertionError("unreachable")

        def listing(path: str) -> Iterator[list[dict[str, Any]]]:
            offset, last_id = 0, None
            while True:
                page = get(path, {"limit": PAGE_SIZE, "offset": offset})
                yield page[1:] if offset and page and page[0]["id"] == last_id else page
                if len(page) != PAGE_SIZE:
                    return
                offset, last_id = offset + PAGE_SIZE - 1, page[-1]["id"]

        for stream in ("companies", "prospects", "signals"):
            for page in listing(f"/v1/{stream}"):
                counts[stream] += len(page)
        for page in listing("/v1/runs"):
            counts["runs"] += len(page)
            # As flintt-pipeline does: a completed run that reports no results is not fetched.
            completed.extend(
                run["id"]
                for run in page
                if run["status"] == "completed" and run.get("results_count") != 0
            )

        def detail(run_id: str) -> int:
            return len(get(f"/v1/runs/{run_id}")["results"])

        with ThreadPoolExecutor(DETAIL_CONCURRENCY) as pool:
            counts["run_results"] = sum(pool.map(detail, completed))
    return counts


# ---------------------------------------------------------------------------------------------
# Child processes, timed and measured.


@dataclass
class Measure:
    tool: str
    kind: str  # "full" or "incremental"
    round: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    exit_code: int
    rows: int = 0
    rows_per_s: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


RSS_CAP_MIB = 16 * 1024  # the machine has 24 GiB, shared: a child past this is killed


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def run_child(
    argv: list[str], *, env: dict[str, str], log: Path, timeout: float, cwd: Path = REPO
) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak RSS MiB, exit code, stdout) of one child; killed (exit -9) after
    `timeout` or past RSS_CAP_MIB."""
    out_path = log.with_suffix(".out")
    with out_path.open("wb") as stdout, log.open("wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            over = time.perf_counter() > deadline or rss_mib(process.pid) > RSS_CAP_MIB
            if over:
                print(
                    f"  killed {' '.join(argv[:2])}: past {timeout:.0f} s or {RSS_CAP_MIB} MiB",
                    flush=True,
                )
                os.killpg(process.pid, signal.SIGKILL)  # the child's own session, nothing else
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    # Descendants the child left behind (none expected) still belong to its session.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, process.returncode, out_path.read_text()


# ---------------------------------------------------------------------------------------------
# The sandbox, the control API, and the warehouses.


class Sandbox:
    def __init__(self, sizes: dict[str, int], *, page_all_lists: bool, workdir: Path) -> None:
        argv = [str(flintt_cli()), "sandbox", "--port", "0"]
        for name, value in sizes.items():
            argv += [f"--{name}", str(value)]
        if page_all_lists:
            argv.append("--page-all-lists")
        self.log = workdir / "sandbox.log"
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            text=True,
            start_new_session=True,
        )
        self.base_url = self.api_key = ""
        assert self.process.stdout is not None
        deadline = time.monotonic() + 600
        for line in self.process.stdout:
            if line.startswith("FLINTT_BASE_URL="):
                self.base_url = line.split("=", 1)[1].strip()
            elif line.startswith("FLINTT_API_KEY="):
                self.api_key = line.split("=", 1)[1].strip()
            if (self.base_url and self.api_key) or time.monotonic() > deadline:
                break
        if not (self.base_url and self.api_key):
            self.stop()
            raise SystemExit(f"the sandbox did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def control(self, method: str, path: str) -> Any:
        import httpx

        response = httpx.request(method, f"{self.base_url}/_sandbox/{path}", timeout=60)
        response.raise_for_status()
        return response.json()

    def add_completed_runs(self, count: int, *, round_no: int) -> int:
        """`count` new runs, triggered on signals in turn and completed with 0-16 results; the
        number of results made."""
        import httpx

        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            signals = client.get("/_sandbox/state/signals").json()
            ids = [signal["id"] for signal in signals]
            results = 0
            for index in range(count):
                signal_id = ids[(round_no * count + index) % len(ids)]
                run = client.post(f"/_sandbox/signals/{signal_id}/trigger")
                run.raise_for_status()
                made = (index * 7 + round_no) % 17
                done = client.post(
                    f"/_sandbox/runs/{run.json()['id']}/complete", json={"results": made}
                )
                done.raise_for_status()
                results += made
        return results


def child_env() -> dict[str, str]:
    """This environment for a child, without our FLINTT_/DAGSTER_ settings, and with Python's
    bytecode cached in PYCACHE: this machine sets PYTHONDONTWRITEBYTECODE=1 and uv installs
    without .pyc files, so each child would otherwise compile every module it imports (about 5 s
    of CPU for flintt-pipeline's Dagster imports, 1 s for dlt's), which no installed tool pays."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLINTT_", "DAGSTER_", "VIRTUAL_ENV"))
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    return {**env, "PYTHONPYCACHEPREFIX": str(PYCACHE)}


def flintt_cli() -> Path:
    return Path(sys.executable).parent / "flintt-pipeline"


def table_ids_equal(flintt_db: Path, dlt_db: Path, dataset: str) -> dict[str, dict[str, int]]:
    """Per table: rows each side holds and ids only one side has (both must be 0)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{flintt_db}' AS fw (READ_ONLY)")
        con.execute(f"ATTACH '{dlt_db}' AS dw (READ_ONLY)")
        report: dict[str, dict[str, int]] = {}
        for table, key in TABLES.items():
            cols = ", ".join(key)
            live = "" if table == "run_results" else " WHERE _deleted_at IS NULL"
            ours = f"SELECT {cols} FROM fw.flintt.{table}{live}"
            theirs = f"SELECT {cols} FROM dw.{dataset}.{table}"
            count = lambda sql: con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # noqa: E731
            report[table] = {
                "flintt": count(ours),
                "dlt": count(theirs),
                "dlt_distinct": count(f"SELECT DISTINCT {cols} FROM ({theirs})"),
                "only_flintt": count(f"{ours} EXCEPT {theirs}"),
                "only_dlt": count(f"{theirs} EXCEPT {ours}"),
            }
        return report
    finally:
        con.close()


def check_equal(report: dict[str, dict[str, int]], *, expected: dict[str, int] | None) -> list[str]:
    problems = []
    for table, row in report.items():
        if row["only_flintt"] or row["only_dlt"] or row["dlt"] != row["dlt_distinct"]:
            problems.append(f"{table}: {row}")
        if expected is not None and row["flintt"] != expected[table]:
            problems.append(f"{table}: {row['flintt']} rows, the ceiling decoded {expected[table]}")
    return problems


# ---------------------------------------------------------------------------------------------
# The benchmark.


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.measures: list[Measure] = []
        self.checks: list[dict[str, Any]] = []
        self.dlt_python = dlt_python(skip_install=args.skip_dlt_install)

    def env(self, sandbox: Sandbox, **extra: str) -> dict[str, str]:
        return {
            **child_env(),
            "FLINTT_BASE_URL": sandbox.base_url,
            "FLINTT_API_KEY": sandbox.api_key,
            **extra,
        }

    def warm_bytecode(self) -> None:
        """Compile both environments into PYCACHE once (cached across runs of this script)."""
        started = time.perf_counter()
        for python in (sys.executable, self.dlt_python):
            paths = subprocess.run(
                [python, "-c", "import site; print('\\n'.join(site.getsitepackages()))"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if python == sys.executable:
                paths.append(str(REPO / "flintt_pipeline"))
            subprocess.run(
                [python, "-m", "compileall", "-q", "-j", "0", *paths],
                env=child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        print(f"bytecode cache {PYCACHE} warm ({time.perf_counter() - started:.0f} s)", flush=True)

    def measured(
        self, sandbox: Sandbox, argv: list[str], *, env: dict[str, str], log: Path
    ) -> tuple[float, float, float, int, str, dict[str, int]]:
        """run_child, plus the API requests the child made (the sandbox serves only it)."""
        sandbox.control("POST", "requests/reset")
        result = run_child(argv, env=env, log=log, timeout=self.args.timeout)
        return (*result, sandbox.control("GET", "requests")["by_path"])

    def record(self, measure: Measure) -> Measure:
        self.measures.append(measure)
        ok = "ok" if measure.exit_code == 0 else f"EXIT {measure.exit_code}"
        requests = sum(measure.detail.get("requests", {}).values())
        print(
            f"  {measure.kind:<11} r{measure.round} {measure.tool:<7} "
            f"{measure.wall_s:7.1f} s wall {measure.cpu_s:7.1f} s CPU "
            f"{measure.peak_rss_mib:7.0f} MiB  {measure.rows:>9,} rows "
            f"{measure.rows_per_s:>9,.0f}/s  {requests:>6} requests  {ok}",
            flush=True,
        )
        return measure

    def run_ceiling(self, sandbox: Sandbox, round_dir: Path, round_no: int) -> Measure:
        argv = [sys.executable, str(Path(__file__).resolve()), "--ceiling"]
        wall, cpu, rss, code, out, requests = self.measured(
            sandbox, argv, env=self.env(sandbox), log=round_dir / "ceiling.log"
        )
        counts = json.loads(out.strip().splitlines()[-1]) if code == 0 else {}
        rows = sum(counts.values())
        return self.record(
            Measure(
                "ceiling",
                "full",
                round_no,
                wall,
                cpu,
                rss,
                code,
                rows,
                rows / wall,
                {"rows": counts, "requests": requests},
            )
        )

    def run_flintt(
        self, sandbox: Sandbox, tool_dir: Path, round_no: int, *, kind: str, fresh: bool
    ) -> Measure:
        home = tool_dir / "dagster_home"
        if fresh:
            home.mkdir(parents=True)
            shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        argv = [str(flintt_cli()), "sync"]
        if kind == "incremental":
            argv += ["--select", "runs", "--select", "run_results"]
        env = self.env(
            sandbox, DAGSTER_HOME=str(home), FLINTT_DUCKDB_PATH=str(tool_dir / "warehouse.duckdb")
        )
        wall, cpu, rss, code, _, requests = self.measured(
            sandbox, argv, env=env, log=tool_dir / f"{kind}{round_no}.log"
        )
        return self.record(
            Measure("flintt", kind, round_no, wall, cpu, rss, code, detail={"requests": requests})
        )

    def run_dlt(self, sandbox: Sandbox, tool_dir: Path, round_no: int, *, kind: str) -> Measure:
        tool_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            self.dlt_python,
            str(BENCH / "dlt_pipeline.py"),
            "--duckdb",
            str(tool_dir / "dlt.duckdb"),
            "--pipelines-dir",
            str(tool_dir / "pipelines"),
        ]
        if self.args.page_all_lists:
            argv.append("--paged-lists")
        if kind == "incremental":
            argv += ["--select", "runs", "--select", "run_results"]
        wall, cpu, rss, code, out, requests = self.measured(
            sandbox, argv, env=self.env(sandbox), log=tool_dir / f"{kind}{round_no}.log"
        )
        detail = json.loads(out.strip().splitlines()[-1]) if code == 0 and out.strip() else {}
        detail["requests"] = requests
        return self.record(Measure("dlt", kind, round_no, wall, cpu, rss, code, detail=detail))

    def set_rows(self, measures: list[Measure], rows: int) -> None:
        for measure in measures:
            if measure.exit_code == 0:
                measure.rows = rows
                measure.rows_per_s = rows / measure.wall_s

    def startup(self) -> None:
        """What each tool pays before its first request: importing its code (3 times each)."""
        programs = {
            "flintt": [sys.executable, "-c", "import flintt_pipeline.definitions"],
            "dlt": [
                self.dlt_python,
                "-c",
                "import dlt; from dlt.sources.rest_api import rest_api_source",
            ],
        }
        env = child_env()
        for round_no in range(1, 4):
            for tool, argv in programs.items():
                wall, cpu, rss, code, _ = run_child(
                    argv, env=env, log=self.workdir / f"startup-{tool}.log", timeout=120
                )
                self.measures.append(Measure(tool, "startup", round_no, wall, cpu, rss, code))
        for tool in programs:
            walls = [m.wall_s for m in self.measures if m.kind == "startup" and m.tool == tool]
            print(f"startup (import) {tool}: median {median(walls):.2f} s", flush=True)

    def full_rounds(self, sandbox: Sandbox) -> tuple[Path, Path] | None:
        kept: tuple[Path, Path] | None = None
        for round_no in range(1, self.args.rounds + 1):
            round_dir = self.workdir / f"full{round_no}"
            round_dir.mkdir()
            shift = (round_no - 1) % len(TOOLS)
            order = TOOLS[shift:] + TOOLS[:shift]
            print(f"full round {round_no}: {' -> '.join(order)}", flush=True)
            done: dict[str, Measure] = {}
            for tool in order:
                if tool == "ceiling":
                    done[tool] = self.run_ceiling(sandbox, round_dir, round_no)
                elif tool == "flintt":
                    done[tool] = self.run_flintt(
                        sandbox, round_dir / "flintt", round_no, kind="full", fresh=True
                    )
                else:
                    done[tool] = self.run_dlt(sandbox, round_dir / "dlt", round_no, kind="full")
            if done["flintt"].exit_code or done["dlt"].exit_code:
                print(f"  round {round_no} failed; logs in {round_dir}", flush=True)
                continue
            expected = None if done["ceiling"].exit_code else done["ceiling"].detail["rows"]
            report = table_ids_equal(
                round_dir / "flintt" / "warehouse.duckdb",
                round_dir / "dlt" / "dlt.duckdb",
                "flintt_dlt",
            )
            problems = check_equal(report, expected=expected)
            self.checks.append(
                {"kind": "full", "round": round_no, "tables": report, "problems": problems}
            )
            print(f"  same ids per table: {problems or 'yes'}", flush=True)
            if not problems:
                self.set_rows(
                    [done["flintt"], done["dlt"]], sum(row["flintt"] for row in report.values())
                )
                print(
                    f"  rows/s: flintt {done['flintt'].rows_per_s:,.0f}, "
                    f"dlt {done['dlt'].rows_per_s:,.0f}",
                    flush=True,
                )
            if kept is not None and not self.args.keep:
                shutil.rmtree(kept[0].parent, ignore_errors=True)
            kept = (round_dir / "flintt", round_dir / "dlt")
        return kept

    def incremental_rounds(self, sandbox: Sandbox, kept: tuple[Path, Path]) -> None:
        flintt_dir, dlt_dir = kept
        new_runs = max(1, self.args_runs() // 100)
        for round_no in range(1, self.args.incremental_rounds + 1):
            results = sandbox.add_completed_runs(new_runs, round_no=round_no)
            order = ("flintt", "dlt") if round_no % 2 else ("dlt", "flintt")
            print(
                f"incremental round {round_no}: {new_runs} new completed runs, {results} "
                f"results; {' -> '.join(order)}",
                flush=True,
            )
            done = {}
            for tool in order:
                if tool == "flintt":
                    done[tool] = self.run_flintt(
                        sandbox, flintt_dir, round_no, kind="incremental", fresh=False
                    )
                else:
                    done[tool] = self.run_dlt(sandbox, dlt_dir, round_no, kind="incremental")
            report = table_ids_equal(
                flintt_dir / "warehouse.duckdb", dlt_dir / "dlt.duckdb", "flintt_dlt"
            )
            problems = check_equal(report, expected=None)
            if not problems:
                self.set_rows(list(done.values()), new_runs + results)
            self.checks.append(
                {
                    "kind": "incremental",
                    "round": round_no,
                    "tables": report,
                    "problems": problems,
                    "new_runs": new_runs,
                    "new_results": results,
                }
            )
            print(f"  same ids per table: {problems or 'yes'}", flush=True)

    def args_runs(self) -> int:
        return SCALES[self.args.scale]["runs"]


def dlt_python(*, skip_install: bool) -> str:
    """The interpreter of a virtual environment of its own holding dlt (and the project's DuckDB
    version, so that this process can open dlt's file): bench/out/dlt-env, made once with uv.
    dlt never enters the project's environment or lock file."""
    import duckdb

    OUT.mkdir(exist_ok=True)
    env_dir = OUT / "dlt-env"
    python = env_dir / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    wanted = [f"dlt[duckdb]=={DLT_VERSION}", f"duckdb=={duckdb.__version__}"]
    if not skip_install:
        steps = (
            []
            if python.exists()
            else [["uv", "venv", "--quiet", "--python", sys.executable, str(env_dir)]]
        )
        steps.append(["uv", "pip", "install", "--quiet", "--python", str(python), *wanted])
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, check=False, env=env)
            if done.returncode:
                raise SystemExit(
                    f"could not make dlt's environment ({' '.join(step)}):\n{done.stderr}"
                )
    probe = subprocess.run(
        [str(python), "-c", "import dlt, duckdb; print(dlt.__version__, duckdb.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode:
        raise SystemExit(f"dlt's environment {env_dir} does not work:\n{probe.stderr}")
    print(f"dlt, duckdb {probe.stdout.strip()} in {env_dir}", flush=True)
    return str(python)


def code_version() -> dict[str, Any]:
    """The commit measured, and the files of the package that differ from it (a sync measured
    from a working tree that someone is editing is not the commit's figure)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "changed": git(
            "status", "--porcelain", "--", "flintt_pipeline", "sql", "pyproject.toml", "uv.lock"
        ).splitlines(),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize(measures: list[Measure]) -> dict[str, dict[str, dict[str, float]]]:
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for kind in ("full", "incremental", "startup"):
        for tool in TOOLS:
            # A run counts once it succeeded and its round's warehouses were found equal.
            ok = [
                m
                for m in measures
                if m.kind == kind
                and m.tool == tool
                and m.exit_code == 0
                and (m.rows or kind == "startup")
            ]
            if not ok:
                continue
            summary.setdefault(kind, {})[tool] = {
                "n": len(ok),
                "rows": median([m.rows for m in ok]),
                "rows_per_s": median([m.rows_per_s for m in ok]),
                "wall_s": median([m.wall_s for m in ok]),
                "cpu_s": median([m.cpu_s for m in ok]),
                "peak_rss_mib": median([m.peak_rss_mib for m in ok]),
                "requests": median([sum(m.detail.get("requests", {}).values()) for m in ok]),
            }
    return summary


def targets(summary: dict[str, dict[str, dict[str, float]]]) -> list[tuple[str, bool, str]]:
    full = summary.get("full", {})
    inc = summary.get("incremental", {})
    verdicts: list[tuple[str, bool, str]] = []
    if "flintt" in full and "dlt" in full:
        ratio = full["flintt"]["rows_per_s"] / full["dlt"]["rows_per_s"]
        verdicts.append(("full sync >= 3x dlt's rows/s", ratio >= 3, f"{ratio:.2f}x"))
        rss = full["flintt"]["peak_rss_mib"] / full["dlt"]["peak_rss_mib"]
        verdicts.append(("peak RSS <= dlt's", rss <= 1, f"{rss:.2f}x dlt's"))
    if "flintt" in full and "ceiling" in full:
        ratio = full["flintt"]["rows_per_s"] / full["ceiling"]["rows_per_s"]
        verdicts.append(("full sync >= 80% of the ceiling's rows/s", ratio >= 0.8, f"{ratio:.0%}"))
    if "flintt" in inc and "dlt" in inc:
        ratio = inc["dlt"]["wall_s"] / inc["flintt"]["wall_s"]
        verdicts.append(
            ("incremental (1% new runs) >= 10x faster than dlt's", ratio >= 10, f"{ratio:.2f}x")
        )
    return verdicts


def print_report(summary: dict[str, Any], verdicts: list[tuple[str, bool, str]]) -> None:
    print("\nmedians")
    print(
        f"{'kind':<12}{'tool':<9}{'n':>3}{'rows':>11}{'rows/s':>11}{'wall s':>9}{'CPU s':>9}"
        f"{'peak RSS MiB':>14}{'requests':>10}"
    )
    for kind, tools in summary.items():
        for tool, row in tools.items():
            print(
                f"{kind:<12}{tool:<9}{row['n']:>3}{row['rows']:>11,.0f}{row['rows_per_s']:>11,.0f}"
                f"{row['wall_s']:>9.1f}{row['cpu_s']:>9.1f}{row['peak_rss_mib']:>14,.0f}"
                f"{row['requests']:>10,.0f}"
            )
    full = summary.get("full", {})
    if {"flintt", "dlt", "ceiling"} <= set(full):
        f, d, c = full["flintt"], full["dlt"], full["ceiling"]
        print(
            f"\nfull: flintt/dlt rows/s {f['rows_per_s'] / d['rows_per_s']:.2f}x, "
            f"flintt/ceiling rows/s {f['rows_per_s'] / c['rows_per_s']:.0%}, "
            f"CPU flintt/dlt {f['cpu_s'] / d['cpu_s']:.2f}x, "
            f"peak RSS flintt/dlt {f['peak_rss_mib'] / d['peak_rss_mib']:.2f}x"
        )
    inc = summary.get("incremental", {})
    if {"flintt", "dlt"} <= set(inc):
        print(
            f"incremental: wall dlt/flintt {inc['dlt']['wall_s'] / inc['flintt']['wall_s']:.2f}x,"
            f" CPU dlt/flintt {inc['dlt']['cpu_s'] / inc['flintt']['cpu_s']:.2f}x"
        )
    print("\ntargets")
    for name, met, figure in verdicts:
        print(f"  {'MET   ' if met else 'MISSED'} {name}: {figure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--incremental-rounds", type=int, default=3)
    parser.add_argument(
        "--page-all-lists",
        action="store_true",
        help="serve companies/prospects/signals paged (limit/offset) too",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200.0,
        help="seconds after which one child run is killed (counted as failed)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where rounds write (default: a temporary folder, removed)",
    )
    parser.add_argument("--keep", action="store_true", help="keep every round's files")
    parser.add_argument(
        "--skip-dlt-install", action="store_true", help="use bench/out/dlt-env as it is"
    )
    parser.add_argument("--ceiling", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.ceiling:
        counts = ceiling(os.environ["FLINTT_BASE_URL"], os.environ["FLINTT_API_KEY"])
        print(json.dumps(counts))
        return 0

    version = code_version()
    changed = " ".join(version["changed"])
    print(
        f"flintt-pipeline at {version['commit'][:12]}"
        f"{', with uncommitted changes: ' + changed if changed else ''}",
        flush=True,
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dlt_compare-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, workdir)
    sizes = SCALES[args.scale]
    started = time.monotonic()
    sandbox = Sandbox(sizes, page_all_lists=args.page_all_lists, workdir=workdir)
    print(
        f"sandbox {args.scale} {sizes}{' paged' if args.page_all_lists else ''} at "
        f"{sandbox.base_url}; work in {workdir}",
        flush=True,
    )
    try:
        bench.warm_bytecode()
        bench.startup()
        kept = bench.full_rounds(sandbox)
        if kept is not None and args.incremental_rounds:
            bench.incremental_rounds(sandbox, kept)
    finally:
        sandbox.stop()
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = summarize(bench.measures)
    verdicts = targets(summary)
    print_report(summary, verdicts)
    OUT.mkdir(exist_ok=True)
    result_path = OUT / f"dlt_compare-{args.scale}{'-paged' if args.page_all_lists else ''}.json"
    result_path.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "sizes": sizes,
                "page_all_lists": args.page_all_lists,
                "dlt_version": DLT_VERSION,
                "flintt_code": version,
                "code_at_end": code_version(),
                "measures": [asdict(m) for m in bench.measures],
                "checks": bench.checks,
                "summary": summary,
                "targets": [{"target": n, "met": m, "figure": f} for n, m, f in verdicts],
                "total_s": time.monotonic() - started,
            },
            indent=1,
        )
    )
    print(f"\n{result_path} ({time.monotonic() - started:.0f} s in all)")
    failed = [m for m in bench.measures if m.exit_code]
    unequal = [c for c in bench.checks if c["problems"]]
    return 1 if failed or unequal else 0


if __name__ == "__main__":
    sys.exit(main())
