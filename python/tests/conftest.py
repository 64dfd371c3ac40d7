"""Shared fixtures: the shared data folder (tests needing a file skip when it is absent) and the
command-line tool (tests comparing with it skip when it is not built)."""
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("CIMPUTE_DATA_DIR",
                      os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data")))


def data_path(rel: str) -> str:
    path = os.path.join(DATA, rel)
    if not os.path.exists(path):
        pytest.skip(f"shared data file {path} is absent")
    return path


@pytest.fixture
def data():
    return data_path


@pytest.fixture
def cli():
    """Run the cimpute tool; returns (stdout, stderr)."""
    exe = os.environ.get("CIMPUTE_CLI", "")
    if not exe or not os.path.exists(exe):
        pytest.skip("the cimpute command-line tool is not built (CIMPUTE_CLI)")

    def run(*args):
        r = subprocess.run([exe, *args], capture_output=True, text=True)
        assert r.returncode == 0, f"cimpute {' '.join(args)}: {r.stderr}"
        return r.stdout, r.stderr
    return run
