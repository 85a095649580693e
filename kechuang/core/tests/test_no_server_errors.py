"""No input answers 500: for every URL pattern with an integer in its path, and for the query parameters
and form fields that name records, huge, negative and garbage values get a 4xx — anonymously and as a
superuser (who passes every permission check, so the input itself is what is tested)."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kechuang.accounts.tests.scenario import build_world, person

HUGE = "99999999999999999999999"
GARBAGE = [HUGE, "9223372036854775808", "abc", "²", "-1", "0", "1e3", "NaN", ""]


def int_routes(patterns=None, prefix="") -> list[str]:
    """Every route (as a regex-free template) with at least one ``<int:…>`` converter."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += int_routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "<int:" in prefix + route:
            found.append(prefix + route)
    return sorted(set(found))


def fill(route: str, value: str) -> str:
    route = re.sub(r"<int:\w+>", value, route)
    route = re.sub(r"<(?:str|slug|uuid|path):\w+>", "x", route)
    route = re.sub(r"<\w+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


@pytest.fixture
def clients(db):
    world = build_world()
    root = person("root", is_superuser=True, is_staff=True)
    signed = Client(raise_request_exception=False)
    signed.force_login(root)
    member = Client(raise_request_exception=False)
    member.force_login(world.member_a)
    return {"anonymous": Client(raise_request_exception=False), "root": signed, "member": member}


def test_huge_ids_in_paths_never_answer_500(clients):
    routes = int_routes()
    assert len(routes) > 40
    failures = []
    for route in routes:
        url = fill(route, HUGE)
        for who, client in clients.items():
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                if status >= 500:
                    failures.append((who, method, url, status))
    print(failures)
    assert failures == []


# (path, parameter) pairs that take a record id or a number, from query strings and forms.
PARAMETERS = [
    ("/api/directory/expert/", "field"),
    ("/api/directory/expert/", "region"),
    ("/api/directory/organization/", "chain"),
    ("/api/directory/achievement/", "page"),
    ("/experts/", "field"),
    ("/experts/", "page"),
    ("/organizations/", "region"),
    ("/demands/", "page"),
    ("/demands/", "region"),
    ("/demands/console/", "demand"),
    ("/demands/console/", "page"),
    ("/demands/experts/pick/", "selected"),
    ("/demands/enterprises/pick/", "selected"),
    ("/challenges/", "page"),
    ("/notifications/", "page"),
    ("/manage/review/", "page"),
    ("/manage/vocabulary/", "page"),
    ("/api/vocabulary/", "page"),
    ("/api/vocabulary/", "page_size"),
    ("/api/demands/", "page"),
]

POSTS = [
    ("/notifications/read/", "id"),
    ("/demands/console/push/", "match"),
]


@pytest.mark.parametrize("path, name", PARAMETERS)
def test_garbage_query_parameters_never_answer_500(clients, path, name):
    failures = []
    for value in GARBAGE:
        for who, client in clients.items():
            status = client.get(path, {name: value}).status_code
            if status >= 500:
                failures.append((who, value, status))
    print(failures)
    assert failures == []


@pytest.mark.parametrize("path, name", POSTS)
def test_garbage_form_values_never_answer_500(clients, path, name):
    failures = []
    for value in GARBAGE:
        for who, client in clients.items():
            status = client.post(path, {name: value}).status_code
            if status >= 500:
                failures.append((who, value, status))
    print(failures)
    assert failures == []
