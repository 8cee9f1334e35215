"""`flintt-pipeline signals export|plan|apply`: signals as code from FLINTT_SIGNALS_FILE."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from flintt_pipeline.cli.instance import api_from_environment
from flintt_pipeline.contract import DEFAULT_SIGNALS_FILE
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.api import FlinttClient, FlinttError
from flintt_pipeline.lib.signals import (
    Plan,
    PlanError,
    SpecError,
    apply_plan,
    export_signals,
    plan_lines,
)
from flintt_pipeline.lib.signals.workspace import plan_for, workspace_signals
from flintt_pipeline.lib.warehouse import SignalKeys, WarehouseError


def signals_file() -> Path:
    return Path(os.environ.get("FLINTT_SIGNALS_FILE") or DEFAULT_SIGNALS_FILE)


@contextmanager
def session() -> Iterator[tuple[FlinttClient, SignalKeys, str]]:
    """The API client and the warehouse's key book; their errors as one line each."""
    api = api_from_environment()
    try:
        with api.client() as client, WarehouseResource().open(log=_wait_note) as warehouse:
            warehouse.bind_source(api.resolved_base_url)
            yield client, SignalKeys(warehouse), api.resolved_base_url
    except SpecError as error:
        problems = "\n  ".join(error.problems)
        raise click.ClickException(f"the signals file is invalid:\n  {problems}") from None
    except (FlinttError, WarehouseError, PlanError) as error:
        raise click.ClickException(str(error)) from None


def _show(plan: Plan, *, path: Path, base_url: str) -> None:
    click.echo(f"Signals in {path} against {base_url} (workspace fingerprint {plan.fingerprint}):")
    for line in plan_lines(plan):
        click.echo(line)


prune_option = click.option(
    "--prune", is_flag=True, help="Delete the signals not in the file (their runs are deleted too)."
)
replace_option = click.option(
    "--replace-on-description-change",
    "replace",
    is_flag=True,
    help="A changed description cannot be updated in place: delete the signal and create it "
    "again (losing its runs).",
)


@click.group()
def signals() -> None:
    """Signals as code: keep the workspace's signals in FLINTT_SIGNALS_FILE (signals.yaml)."""


@signals.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Where to write (default: FLINTT_SIGNALS_FILE; - for stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def export(output: str | None, force: bool) -> None:
    """Write the workspace's signals as a signals file and record their keys."""
    target = Path(output) if output and output != "-" else signals_file()
    if output != "-" and target.exists() and not force:
        raise click.ClickException(f"{target} exists: pass --force to overwrite it")
    with session() as (client, keys, _):
        exported = export_signals(workspace_signals(client), keys.load())
        if output == "-":
            click.echo(exported.text, nl=False)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(exported.text, encoding="utf-8")
        keys.record_all(exported.keys)
    for warning in exported.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output != "-":
        click.echo(f"Wrote {len(exported.keys)} signal(s) to {target}; their keys are recorded.")


@signals.command()
@prune_option
@replace_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when apply would change something (0: nothing to do), e.g. for a CI drift check.",
)
def plan(prune: bool, replace: bool, detailed_exitcode: bool) -> None:
    """Show what `apply` would change (nothing is changed)."""
    path = signals_file()
    with session() as (client, keys, base_url):
        _, made = plan_for(
            path=path, client=client, keys=keys.load(), prune=prune, replace_descriptions=replace
        )
        _show(made, path=path, base_url=base_url)
    if detailed_exitcode and not made.empty:
        raise SystemExit(2)


@signals.command()
@prune_option
@replace_option
@click.option("--yes", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--expect-fingerprint",
    default=None,
    help="Refuse unless the workspace still has this fingerprint (shown by `plan`).",
)
def apply(prune: bool, replace: bool, yes: bool, expect_fingerprint: str | None) -> None:
    """Make the workspace's signals equal to the file, exactly as the plan shows."""
    path = signals_file()
    with session() as (client, keys, base_url):

        def current() -> Plan:
            return plan_for(
                path=path,
                client=client,
                keys=keys.load(),
                prune=prune,
                replace_descriptions=replace,
            )[1]

        made = current()
        _show(made, path=path, base_url=base_url)
        if expect_fingerprint and made.fingerprint != expect_fingerprint:
            raise click.ClickException(
                f"the workspace changed since the plan with fingerprint {expect_fingerprint} "
                f"(now {made.fingerprint}): review the plan above and apply again"
            )
        while not yes and made.actions:
            if not sys.stdin.isatty():
                raise click.ClickException("no terminal to confirm on: pass --yes to apply")
            if not click.confirm("Apply this plan?", default=False):
                raise click.ClickException("nothing applied")
            latest = current()
            if latest.fingerprint == made.fingerprint:
                break
            click.echo("The workspace changed since this plan was shown; the new plan:")
            made = latest
            _show(made, path=path, base_url=base_url)
        done = apply_plan(
            made, writer=client.writer(), keys=keys, say=lambda line: click.echo(f"  {line}")
        )
    click.echo(f"Apply complete: {done} action(s) done." if done else "Nothing to do.")


def _wait_note(message: str) -> None:
    click.echo(message, err=True)
