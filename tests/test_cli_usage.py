"""The command line's contract at its edges: usage mistakes in one line, Ctrl-C at any moment,
and query words that look like options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import brevefeed

SRC = str(Path(brevefeed.__file__).parent.parent)

# The console script, with an import hook that sends the process SIGINT when ``TARGET`` is
# first imported: Ctrl-C lands at a chosen moment of start-up or of the run, every time.
INTERRUPTING_SCRIPT = """
import os, signal, sys

# A shell starts background jobs with SIGINT ignored, and Python then keeps it so: give the
# child a terminal's Ctrl-C whatever ran the suite.
signal.signal(signal.SIGINT, signal.default_int_handler)

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["TARGET"]:
            sys.meta_path.remove(self)
            print("reached", name, flush=True)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
sys.argv[0] = "brevefeed"
from brevefeed.cli import main
main()
"""


def brevefeed_process(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", INTERRUPTING_SCRIPT, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": SRC, "TARGET": "none", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(
        f'[site]\ntimezone = "UTC"\n[archive]\nurl = "sqlite:///{tmp_path}/archive.db"\n',
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize(
    "target",
    [
        "click",  # the CLI module's own imports, before main() exists
        "brevefeed.cli.search",  # the lazy load of the subcommand
        "brevefeed.cli.logs",  # the command running (its logging is set up on first use)
    ],
)
def test_ctrl_c_at_any_moment_is_one_line_and_130(instance: Path, target: str) -> None:
    result = brevefeed_process(["search", "forum"], instance, TARGET=target)
    assert result.stdout == f"reached {target}\n"
    assert result.stderr == "brevefeed: interrupted\n"
    assert result.returncode == 130


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--bogus"], "No such option '--bogus'"),
        (["list", "--since", "nope"], "Invalid value for '--since'"),
        (["nosuch"], "No such command 'nosuch'"),
        (["search", "--kind", "x", "forum"], "Invalid value for '--kind'"),
    ],
)
def test_a_usage_mistake_is_one_line_exit_2(instance: Path, args: list[str], message: str) -> None:
    result = brevefeed_process(args, instance)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("brevefeed: error: ")
    assert message in lines[0]
