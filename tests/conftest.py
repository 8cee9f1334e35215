"""What every test process shares: compiled bytecode.

With PYTHONDONTWRITEBYTECODE set (as on CI), the test process and every Python process a test
starts (CLI syncs, receivers, code servers, daemons, webservers) would compile Dagster and its
dependencies from source again, seconds of CPU each. They all write and read compiled modules in
one folder of pytest's cache instead, so only the first process compiles.
"""

import os
import sys

import pytest


def pytest_configure(config: pytest.Config) -> None:
    cache = getattr(config, "cache", None)
    if cache is None:
        return
    folder = str(cache.mkdir("flintt-bytecode"))
    # This process: modules imported from here on (Dagster, the code under test).
    sys.pycache_prefix = folder
    sys.dont_write_bytecode = False
    # Every process a test starts inherits these.
    os.environ["PYTHONPYCACHEPREFIX"] = folder
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
