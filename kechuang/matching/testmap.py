"""What a demand needs tested when it does not name the test: a property → test-method map.

A factory engineer writes what goes wrong (橡胶膜片低温开裂、发硬; 凉拌菜抽检致病菌阳性; 控制器干扰收音机),
rarely the test a laboratory would run (老化试验、差示扫描量热; 荧光定量PCR; 电磁兼容辐射发射). The map in
``data/test_methods.txt`` is written from general testing practice (the GB/T and ISO families of materials,
environmental, chemical, microbiological, acoustic and electrical testing): each *family* lists the words
demands use for a problem or property (*cues*) and the words instrument and service records use for the
tests that answer it (*tests*). :func:`needs_of` reads a demand's cues; the demand page searches
instruments and service items for the families' tests as well (``kechuang.demands.queries``), and says
which words of the demand led to which tests, so the reader can judge the inference.

Only instrument and service searches are expanded: an expert or an achievement is matched on what the
demand says, never on what a test for it would be called.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kechuang.matching.text import DATA_DIR, normalize, read_word_list

TEST_METHODS_FILE = DATA_DIR / "test_methods.txt"


@dataclass(frozen=True)
class Family:
    """One line of the map: a kind of problem or property and the tests that answer it."""

    label: str
    cues: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Need:
    """A family a demand asks for: the cues it used (in the demand's order) and the family's tests."""

    family: Family
    cues: tuple[str, ...]

    @property
    def tests(self) -> tuple[str, ...]:
        return self.family.tests


def parse_families(lines: list[str]) -> list[Family]:
    families = []
    for line in lines:
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            raise ValueError(f"test method line needs label | cues | tests: {line!r}")
        label, cues, tests = parts
        families.append(
            Family(
                label=label,
                cues=tuple(dict.fromkeys(normalize(c) for c in cues.split() if c)),
                tests=tuple(dict.fromkeys(normalize(t) for t in tests.split() if t)),
            )
        )
    return families


@lru_cache(maxsize=4)
def load_families(path: Path = TEST_METHODS_FILE) -> tuple[Family, ...]:
    return tuple(parse_families(read_word_list(path)))


def needs_of(text: str, families: tuple[Family, ...] | None = None) -> list[Need]:
    """The families whose cues occur in ``text`` (normalised; a cue counts wherever it occurs, so 开裂
    counts in 易开裂), in map order, each with the cues found in the order the text uses them."""
    folded = normalize(text or "")
    needs = []
    for family in families if families is not None else load_families():
        found = sorted((folded.find(cue), cue) for cue in family.cues if cue in folded)
        # a cue inside a longer cue found at the same place counts once (早期断裂 before 断裂)
        cues = [cue for _at, cue in found]
        cues = [c for c in cues if not any(c != o and c in o for o in cues)]
        if cues:
            needs.append(Need(family, tuple(cues)))
    return needs
