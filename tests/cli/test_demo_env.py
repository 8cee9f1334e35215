"""The `.env` the demo leaves for `dg dev`: read back by the parser Dagster uses, rewritten by the
next demo, and never written over when the user has their own."""

from pathlib import Path

from dotenv import dotenv_values

from flintt_pipeline.cli.demo_env import write_demo_env

SETTINGS = {
    "DAGSTER_HOME": '/home/a user/#1 "flintt"/dagster_home',
    "FLINTT_DUCKDB_PATH": "data/demo.duckdb",
}


def test_the_settings_read_back_exactly_and_a_later_demo_rewrites_them(tmp_path: Path) -> None:
    write_demo_env(directory=tmp_path, settings={"FLINTT_DUCKDB_PATH": "data/old.duckdb"})
    said = write_demo_env(directory=tmp_path, settings=SETTINGS)
    assert said.startswith("Wrote ")
    assert dotenv_values(tmp_path / ".env") == SETTINGS


def test_a_users_own_env_file_is_left_alone(tmp_path: Path) -> None:
    own = "FLINTT_API_KEY=flt_mine\n"
    (tmp_path / ".env").write_text(own)
    said = write_demo_env(directory=tmp_path, settings=SETTINGS)
    assert (tmp_path / ".env").read_text() == own
    assert "left alone" in said
    assert "FLINTT_DUCKDB_PATH=data/demo.duckdb" in said
