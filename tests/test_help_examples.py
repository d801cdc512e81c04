"""Every `Example:` line of every command's --help runs, and exits 0, in an instance made
from examples/ and config.toml: help that names a file, a slug or a source that does not
exist fails here (it named `examples/2024-05-07-fermeture-forum.md`, which never existed).

Examples that need the web name https://journal.example.org/; the test serves that outlet
from a loopback server and rewrites the address in each line.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import pytest

import brevefeed
from brevefeed.cli import COMMANDS, load_command
from feedserver import FeedServer, Reply

ROOT = Path(__file__).parent.parent
SRC = str(Path(brevefeed.__file__).parent.parent)
OUTLET = "https://journal.example.org"
#: Examples run in this order of their command, so that what one needs exists (a source is
#: added before it is paused, an export written before it is imported). Others run between.
#: The served item mentions « haine en ligne », a keyword `sources add` gives the source.
ORDER = [
    "init", "add", "export", "import", "list", "show", "search", "sources add", "sources",
    "sources list", "sources disable", "sources enable", "ingest", "related", "relate",
    "unrelate", "stories", "publish", "sources export", "sources import",
]  # fmt: skip
LAST = ["retract", "sources remove"]


def _commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, each module loaded (the registry is lazy)."""
    found: list[tuple[str, click.Command]] = []

    def walk(path: str, command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(f"{path} {name}", sub)

    for name in COMMANDS:
        walk(name, load_command(name))
    return found


def examples() -> list[tuple[str, str]]:
    """(command, shell line) for each example, continuation lines joined."""
    lines: list[tuple[str, str]] = []
    for path, command in _commands():
        help_text = command.help or ""
        if "Example:" not in help_text:
            continue
        block = help_text.split("Example:", 1)[1]
        pending = ""
        own = 0
        for raw in block.splitlines():
            line = raw.strip()
            if not line:
                if own:
                    break
                continue
            pending += line
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            lines.append((path, pending))
            own += 1
            pending = ""
    return lines


def _rank(path: str) -> int:
    if path in ORDER:
        return ORDER.index(path)
    if path in LAST:
        return 1000 + LAST.index(path)
    return len(ORDER)


@pytest.fixture
def outlet(feed_server: FeedServer) -> str:
    base = feed_server.url("").rstrip("/")
    page = f'<html><head><link rel="alternate" type="application/rss+xml" href="{base}/feed.xml">'
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Le Journal</title>
<link>{base}/</link><item><title>Forums : l'Arcom demande des comptes</title>
<link>{base}/2024/04/arcom-forums</link><guid>{base}/2024/04/arcom-forums</guid>
<description>Le régulateur interroge sept sites sur la haine en ligne.</description>
<pubDate>Tue, 02 Apr 2024 15:00:00 +0200</pubDate></item></channel></rss>"""
    feed_server.routes["/"] = Reply(body=page.encode(), headers={"Content-Type": "text/html"})
    feed_server.routes["/feed.xml"] = Reply(
        body=feed.encode(), headers={"Content-Type": "application/rss+xml"}
    )
    return base


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """examples/ and config.toml as the repository ships them; loopback feeds allowed."""
    folder = tmp_path / "redaction"
    folder.mkdir()
    shutil.copytree(ROOT / "examples", folder / "examples")
    config = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert "allow_private = false" in config
    (folder / "config.toml").write_text(
        config.replace("allow_private = false", "allow_private = true"), encoding="utf-8"
    )
    (folder / "archive").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "brevefeed"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m brevefeed "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


def test_every_help_example_runs(instance: Path, outlet: str) -> None:
    found = examples()
    assert len(found) > 20 and {path for path, _ in found} >= {"search", "sources add"}
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "PATH": f"{instance.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "BREVEFEED_EDITOR": "test",
    }
    env.pop("BREVEFEED_CONFIG", None)
    env.pop("BREVEFEED_DATABASE_URL", None)
    failed = []
    for path, line in sorted(found, key=lambda example: _rank(example[0])):
        shell = re.sub(re.escape(OUTLET), outlet, line)
        if path == "serve":
            # A preview server runs until stopped: it must answer, then it is stopped.
            if not _serves(shell, instance, env):
                failed.append(f"[{path}] {line} → never answered")
            continue
        result = subprocess.run(
            ["bash", "-c", shell], cwd=instance, env=env, capture_output=True, text=True,
            timeout=300, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if result.returncode != 0:
            failed.append(f"[{path}] {line} → exit {result.returncode}: {result.stderr.strip()}")
    assert failed == [], " ¶ ".join(failed)


def _serves(shell: str, instance: Path, env: dict[str, str]) -> bool:
    """Run a `serve` example on a free port until its home page answers (or 60 s pass)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shell = re.sub(r"--port \d+", f"--port {port}", shell)
    server = subprocess.Popen(
        ["bash", "-c", f"exec {shell}" if "&&" not in shell else shell], cwd=instance, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    return bool(answer.status == 200)
            except OSError:
                time.sleep(0.2)
        return False
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
