"""The small demo region the tests build (a few dozen records of each kind, seconds to load)."""

from kechuang.demo.generator import DemoCounts

SMALL = DemoCounts(
    enterprises=24,
    experts=30,
    achievements=12,
    platforms=6,
    shared_institutions=10,
    instruments=25,
    services=12,
)
