"""The landing page tells a reader how to get the source: the repository named in _config.yml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_clone_command_uses_the_configured_repository():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    intro = (ROOT / "intro.md").read_text()
    assert "<this repository>" not in intro and "<it>" not in intro
    clone = re.search(r"git clone (\S+)", intro)
    assert clone is not None, "intro.md shows no git clone command"
    assert clone.group(1).removesuffix(".git") == url
    folder = url.rsplit("/", 1)[-1]
    assert f"cd {folder}\n" in intro
