"""Each app registers its own search index in its ``search.py``; the search app finds them."""

from kechuang.search import indexing
from kechuang.search.apps import autodiscover_indexes


def test_the_search_app_finds_every_apps_search_module():
    found = autodiscover_indexes()
    # In INSTALLED_APPS order (apps added later may follow with their own search.py).
    assert [
        name for name in found if name.split(".")[1] in {"directory", "demands", "challenges"}
    ] == [
        "kechuang.directory.search",
        "kechuang.demands.search",
        "kechuang.challenges.search",
    ]


def test_each_app_registered_its_types_at_start_up():
    registered = indexing.registrations()
    assert set(registered) >= {
        "organization",
        "expert",
        "achievement",
        "instrument",
        "service",
        "platform",
        "demand",
        "challenge",
    }
    assert registered["demand"].model._meta.label == "demands.Demand"
    assert registered["challenge"].model._meta.label == "challenges.Challenge"
    assert registered["expert"].model._meta.label == "directory.Expert"
