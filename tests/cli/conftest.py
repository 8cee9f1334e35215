"""The README's first command, run once for every test that looks at what it leaves behind."""

import pytest
from demo_support import DemoRun, run_demo


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`flintt-pipeline demo` in a directory of its own, with no Flintt or Dagster setting."""
    return run_demo(tmp_path_factory.mktemp("demo"))
