"""The CSL papers shipped with the demo (see ``data/README.md``): experts' works and achievements' text."""

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PAPERS_FILE = Path(__file__).resolve().parent / "data" / "csl_papers.jsonl.gz"


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    abstract: str
    keywords: tuple[str, ...]
    discipline: str
    category: str


@cache
def load_papers() -> tuple[Paper, ...]:
    """Every shipped paper, in file order."""
    with gzip.open(PAPERS_FILE, "rt", encoding="utf-8") as stream:
        return tuple(
            Paper(
                id=row["_id"],
                title=row["title"],
                abstract=row["abstract"],
                keywords=tuple(row["keywords"]),
                discipline=row["discipline"],
                category=row["category"],
            )
            for row in map(json.loads, stream)
        )


def disciplines_by_category() -> dict[str, list[str]]:
    """The two-level field taxonomy the papers use: 13 categories → 67 disciplines, in first-seen order."""
    tree: dict[str, list[str]] = {}
    for paper in load_papers():
        disciplines = tree.setdefault(paper.category, [])
        if paper.discipline not in disciplines:
            disciplines.append(paper.discipline)
    return tree
