"""A list to choose from says what to choose: no form shows Django's "---------" as the first option of a
select. Every ``ModelChoiceField`` of the apps' forms names its empty choice (请选择发券区域, or 不选 for
an optional one) or is typed into a search picker (read with ``ast``); the contract form shows it, and
the directory's record forms open their lists of the model's choices (类型, 类别, 级别) on 请选择."""

import ast
from pathlib import Path

import pytest

from kechuang.contracts.forms import ContractForm
from kechuang.directory import forms as directory_forms
from kechuang.directory.factories import OrganizationFactory

PACKAGE = Path(__file__).resolve().parents[2]  # kechuang/


def unnamed_empty_choices() -> list[str]:
    found = []
    for path in sorted(PACKAGE.glob("*/forms.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            keywords = {k.arg for k in node.keywords}
            if name == "ModelChoiceField" and not keywords & {"empty_label", "widget"}:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_every_model_choice_names_its_empty_choice():
    assert unnamed_empty_choices() == []


@pytest.mark.django_db
def test_the_contract_form_offers_no_dashes():
    html = ContractForm(organizations=[OrganizationFactory()]).as_div()
    assert "---------" not in html
    assert html.count('<option value="" selected>不选</option>') == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "lists"),
    [
        (directory_forms.OrganizationForm, 1),
        (directory_forms.AchievementForm, 1),
        (directory_forms.InstrumentForm, 1),
        (directory_forms.ServiceItemForm, 1),
        (directory_forms.InnovationPlatformForm, 2),
    ],
)
def test_the_record_forms_open_their_lists_on_choose(form, lists):
    html = form(organization=OrganizationFactory()).as_div()
    assert "---------" not in html
    assert html.count('<option value="" selected>请选择</option>') == lists
