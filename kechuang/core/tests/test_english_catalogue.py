"""English goes through Django's i18n, completely: every Chinese interface string has an English translation
in the compiled catalogues, the catalogues hold no untranslated, fuzzy or obsolete entry, and the main pages
rendered in English show no Chinese outside the data (names of records, regions, people).

When a test here fails after new strings were added: extract and translate them (``makemessages -l en
--no-wrap --no-obsolete`` in each app directory, fill in the entries, ``compilemessages``)."""

import ast
import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation.template import templatize

from kechuang.accounts.models import OperatorMandate
from kechuang.accounts.tests.scenario import build_world, person
from kechuang.challenges.factories import ChallengeFactory, ChallengeListFactory
from kechuang.challenges.models import Challenge, ChallengeList
from kechuang.core.tests.test_interface_text import CJK, ROOT, interface_files
from kechuang.demands.factories import DemandFactory, EngagementFactory
from kechuang.directory.factories import ExpertFactory, InstrumentFactory
from kechuang.directory.models import Expert

CATALOGUES = sorted(ROOT.rglob("locale/en/LC_MESSAGES/django.po"))
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# --- the catalogues ----------------------------------------------------------------------------------


def po_entries(path: Path):
    """``(line, flags, msgid, msgstrs, obsolete)`` of every entry but the header."""
    blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    line = 1
    for block in blocks:
        fields: dict[str, str] = {}
        current, flags, obsolete = None, "", False
        for text in block.splitlines():
            if text.startswith("#~"):
                obsolete = True
            elif text.startswith("#,"):
                flags += text[2:]
            elif match := re.match(
                r'(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt) "(.*)"$', text
            ):
                current = match.group(1)
                fields[current] = match.group(2)
            elif text.startswith('"') and current:
                fields[current] += text[1:-1]
        if fields.get("msgid") or obsolete:
            strs = [value for key, value in fields.items() if key.startswith("msgstr")]
            yield line, flags, fields.get("msgid", ""), strs, obsolete
        line += block.count("\n") + 2


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalogue_entry_is_translated(catalogue):
    problems = []
    for line, flags, msgid, msgstrs, obsolete in po_entries(catalogue):
        if obsolete:
            problems.append(f"{line}: obsolete entry (run makemessages with --no-obsolete)")
        elif "fuzzy" in flags:
            problems.append(f"{line}: fuzzy {msgid!r}")
        elif not all(msgstrs):
            problems.append(f"{line}: untranslated {msgid!r}")
    assert not problems, f"{catalogue}:\n" + "\n".join(problems)


def test_the_catalogue_check_sees_fuzzy_untranslated_and_obsolete_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "共 %(n)s 条"\nmsgstr "%(n)s in all"\n\n'
        'msgid "保存"\nmsgstr ""\n\n'
        'msgid ""\n"长"\n"句"\nmsgstr ""\n"Long "\n"sentence"\n\n'
        '#~ msgid "旧"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )
    assert [
        (flags, msgid, msgstrs, obsolete) for _, flags, msgid, msgstrs, obsolete in po_entries(po)
    ] == [
        (" fuzzy, python-format", "共 %(n)s 条", ["%(n)s in all"], False),
        ("", "保存", [""], False),
        ("", "长句", ["Long sentence"], False),
        ("", "", [], True),
    ]


# --- every Chinese source string is in the compiled English catalogue ----------------------------------

LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
TEMPLATIZED = re.compile(rf"\b(n?p?gettext)\(\s*({LITERAL}(?:\s*,\s*{LITERAL})*)")


def source_messages():
    """``(where, function, args)`` of every translatable literal: templates as ``makemessages`` reads them
    (``templatize``), Python files' gettext calls."""
    for path in interface_files():
        name = path.relative_to(ROOT.parent)
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, ast.Call):
                    continue
                function = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                function = {"_": "gettext"}.get(function, function)
                function = (function or "").removesuffix("_lazy").removesuffix("_noop")
                if function not in {"gettext", "ngettext", "pgettext", "npgettext"}:
                    continue
                args = [
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                wanted = {"gettext": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}[function]
                if len(args) >= wanted:
                    yield f"{name}:{node.lineno}", function, args[:wanted]
        else:
            for match in TEMPLATIZED.finditer(templatize(source, origin=str(path))):
                args = list(ast.literal_eval(f"({match.group(2)},)"))
                yield f"{name}", match.group(1), args


def untranslated(function: str, args: list[str]) -> bool:
    with translation.override("en"):
        if function == "gettext":
            return translation.gettext(args[0]) == args[0]
        if function == "pgettext":
            return translation.pgettext(*args) == args[1]
        if function == "ngettext":
            return (translation.ngettext(*args, 1), translation.ngettext(*args, 2)) == tuple(args)
        return (translation.npgettext(*args, 1), translation.npgettext(*args, 2)) == tuple(args[1:])


def test_every_chinese_interface_string_has_a_compiled_english_translation():
    messages = list(source_messages())
    assert len(messages) > 1500  # the scan reads templates and Python files
    missing = sorted(
        f"{where}: {args!r}"
        for where, function, args in messages
        if any(CJK.search(a) for a in args) and untranslated(function, args)
    )
    assert not missing, (
        f"{len(missing)} Chinese strings have no English translation in the compiled catalogues "
        "(makemessages, translate, compilemessages):\n" + "\n".join(missing)
    )


# --- pages in English -------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader meets: text nodes and the attributes shown or read aloud (no scripts, styles)."""

    SHOWN = {"title", "placeholder", "aria-label", "alt", "value", "data-empty", "data-title"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self.hidden += 1
        if not (tag == "input" and dict(attrs).get("type") == "hidden"):
            self.parts.extend(value for key, value in attrs if key in self.SHOWN and value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def data_strings() -> list[str]:
    """Every Chinese text stored in the database (names, titles, regions…), longest first."""
    found = set()
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        for row in model.objects.values_list(*fields) if fields else ():
            found.update(v for v in row if isinstance(v, str) and CHINESE.search(v))
    return sorted(found, key=len, reverse=True)


def chinese_interface_text(html: str, data: list[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    left = []
    language_names = [str(name) for code, name in settings.LANGUAGES if code != "en"]
    for part in parser.parts:
        for value in [*data, *language_names]:
            part = part.replace(value, " ")
        left.extend(f"{run} (in {part.strip()[:80]!r})" for run in CHINESE.findall(part))
    return left


def test_the_page_check_tells_interface_from_data():
    html = (
        '<p title="搜索">瑞安市 · Demands<script>var a = "中文";</script></p>'
        '<input type="hidden" value="隐藏"><input placeholder="如：电机">'
    )
    assert chinese_interface_text(html, ["瑞安市"]) == [
        "搜索 (in '搜索')",
        "如 (in '如：电机')",
        "电机 (in '如：电机')",
    ]


@pytest.fixture
def world(db):
    world = build_world()
    OperatorMandate.objects.filter(user=world.ruian_operator).update(office="瑞安市科协")
    expert_user = person("expert_li")
    expert = ExpertFactory(
        user=expert_user, name="李教授", affiliation=world.org_b, region=world.jiading
    )
    demand = DemandFactory(organization=world.org_a)
    EngagementFactory(demand=demand, expert=expert)
    InstrumentFactory(owner=world.org_b)
    today = timezone.localdate()
    challenge_list = ChallengeListFactory(
        region=world.ruian,
        status=ChallengeList.Status.PUBLISHED,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=30),
    )
    ChallengeFactory(challenge_list=challenge_list, status=Challenge.Status.ACCEPTED)
    world.expert_user = Expert.objects.get(pk=expert.pk).user
    world.challenge_list = challenge_list
    return world


def english_page(client, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200, url
    assert '<html lang="en"' in response.text
    return response.text


def test_main_pages_in_english_show_chinese_only_in_data(client, world):
    pages = {
        "home": (None, reverse("directory:home")),
        "demands": (None, reverse("demands:list")),
        "challenges": (None, reverse("challenges:index")),
        "challenge list": (None, reverse("challenges:list", args=[world.challenge_list.pk])),
    }
    for who in ("ruian_operator", "member_a", "member_b", "expert_user", "outsider"):
        pages[f"workbench of {who}"] = (getattr(world, who), reverse("manage:dashboard"))
    data = data_strings()
    found = []
    for page, (user, url) in pages.items():
        client.logout()
        if user:
            client.force_login(user)
        found += [
            f"{page}: {text}" for text in chinese_interface_text(english_page(client, url), data)
        ]
    assert not found, "Chinese left in English pages:\n" + "\n".join(found)
