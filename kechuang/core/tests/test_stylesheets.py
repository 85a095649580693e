"""Every stylesheet parses as balanced blocks: one lost closing brace (a merge of two appended sections
did it once) silently swallows every rule after it, and pages fall back to unstyled lists."""

import re
from pathlib import Path

import pytest

STYLESHEETS = sorted(Path(__file__).resolve().parents[2].glob("*/static/**/*.css"))


@pytest.mark.parametrize("path", STYLESHEETS, ids=lambda p: p.name)
def test_stylesheet_blocks_balance(path):
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{path.name}:{number} closes a block that was never opened"
    assert depth == 0, f"{path.name}: {depth} block(s) never closed"


def test_the_site_stylesheet_is_checked():
    assert "kechuang.css" in {p.name for p in STYLESHEETS}
