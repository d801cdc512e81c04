"""The [search] table of config.toml (the rest of config.py is the foundation's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from brevefeed.config import SearchConfig, parse_config
from brevefeed.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_and_documented_files_agree() -> None:
    for path in (ROOT / "config.toml", ROOT / "src" / "brevefeed" / "templates" / "config.toml"):
        config = parse_config(path.read_text(encoding="utf-8"), path)
        assert config.search == SearchConfig()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[search]\nlimit = 0\n", r"\[search\] limit must be between 1 and 10000, got 0"),
        ('[search]\nrank_window = "many"\n', "search.rank_window must be an integer"),
        ("[search]\nwindow = 5\n", "unknown key search.window"),
    ],
)
def test_bad_values_are_one_line_errors(toml: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(toml, tmp_path / "config.toml")
