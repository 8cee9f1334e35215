"""The package installed from its wheel, and the README's first command run with it once for
every test that looks at what the demo leaves behind."""

import pytest
from demo_support import DemoRun, Installed, install_wheel, run_demo


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, installed: Installed) -> DemoRun:
    """`flintt-pipeline demo` from the installed wheel, in a directory of its own, with no
    Flintt or Dagster setting."""
    return run_demo(tmp_path_factory.mktemp("demo"), installed=installed)
