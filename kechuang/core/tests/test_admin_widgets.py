"""The admin as operators read it: keyword lists as 电机、控制器 (not JSON), a Chinese stylesheet and widgets."""

import json

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from kechuang.accounts.tests.scenario import build_world, person
from kechuang.directory.factories import ExpertFactory, ExpertWorkFactory
from kechuang.directory.models import Expert


@pytest.fixture
def world(db):
    return build_world()


def test_keywords_are_edited_as_one_line_of_words(client, world):
    expert = ExpertFactory(
        affiliation=world.org_a, region=world.ruian, keywords=["电机控制", "新能源汽车"]
    )
    ExpertWorkFactory(expert=expert, keywords=["永磁同步电机", "弱磁控制"])
    client.force_login(person("root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:directory_expert_change", args=[expert.pk])).text
    assert 'value="电机控制、新能源汽车"' in page
    assert 'value="永磁同步电机、弱磁控制"' in page
    assert (
        json.dumps(["电机控制", "新能源汽车"], ensure_ascii=False).replace('"', "&quot;")
        not in page
    )
    assert "admin/kechuang-admin.css" in page and "admin/kechuang-admin.js" in page


def test_typed_keywords_are_saved_as_a_list(world):
    expert = ExpertFactory(affiliation=world.org_a, region=world.ruian)
    request = RequestFactory().get("/admin/")
    request.user = person("root", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[Expert]
    form_class = model_admin.get_form(request, expert)
    initial = form_class(instance=expert)
    data = {}
    for name in initial.fields:
        value = initial[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    data["keywords"] = "电机, 控制器、电机；传感器"
    form = form_class(data, instance=expert)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["keywords"] == ["电机", "控制器", "传感器"]
