"""Open data: each dataset holds exactly the public records, with exactly its public columns; nothing
private (contact details, restricted or unpublished records, results before 公示, single contracts)
reaches any file; the DCAT catalogue describes every dataset with its distributions."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kechuang.challenges.factories import ChallengeFactory, ChallengeListFactory
from kechuang.challenges.models import Application, Challenge, ChallengeList
from kechuang.contracts.tests.conftest import make_world, registered, submitted
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import Demand
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    InnovationPlatformFactory,
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Status
from kechuang.opendata.datasets import DATASETS

pytestmark = pytest.mark.django_db

SECRETS = [
    "13900001111",  # an organisation's contact phone
    "contact@org.example.cn",
    "瑞安市塘下镇秘密路1号",  # its address
    "13800002222",  # an expert's phone
    "expert-secret@univ.example.cn",
    "0577-99990000",  # a demand's contact phone
    "仅受邀可见的需求",
    "草稿需求",
    "草稿机构",
    "草稿专家",
    "草稿榜单",
    "电控气源装置降噪技术开发",  # a contract's title
    "YQ-SECRET-01",  # an instrument's internal asset code
]


def fetch(client, slug, fmt):
    response = client.get(f"/open-data/{slug}.{fmt}")
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def records():
    world = make_world()
    ruian = world.ruian
    public_org = OrganizationFactory(
        name="公开机构",
        region=ruian,
        contact_phone="13900001111",
        contact_email="contact@org.example.cn",
        address="瑞安市塘下镇秘密路1号",
        contact_name="张三",
    )
    OrganizationFactory(name="草稿机构", region=ruian, status=Status.DRAFT)
    expert = ExpertFactory(
        name="公开专家", region=ruian, phone="13800002222", email="expert-secret@univ.example.cn"
    )
    ExpertFactory(name="草稿专家", region=ruian, status=Status.PENDING)
    AchievementFactory(owner=public_org, region=ruian)
    InstrumentFactory(owner=public_org, region=ruian, asset_code="YQ-SECRET-01")
    ServiceItemFactory(provider=public_org, region=ruian)
    InnovationPlatformFactory(host=public_org, region=ruian)
    public = DemandFactory(organization=public_org, title="公开需求", contact_phone="0577-99990000")
    DemandFactory(
        organization=public_org, title="仅受邀可见的需求", visibility=Demand.Visibility.RESTRICTED
    )
    DemandFactory(
        organization=public_org, title="草稿需求", status=Demand.Status.DRAFT, published_at=None
    )
    now = timezone.now().replace(microsecond=0)
    announced = ChallengeListFactory(
        title="已公示榜单",
        region=ruian,
        status=ChallengeList.Status.ANNOUNCED,
        published_at=now,
        announced_at=now,
        objection_ends_at=now + datetime.timedelta(days=7),
    )
    reviewing = ChallengeListFactory(
        title="评审中榜单", region=ruian, status=ChallengeList.Status.REVIEWING, published_at=now
    )
    ChallengeListFactory(title="草稿榜单", region=ruian)
    won = ChallengeFactory(
        challenge_list=announced, status=Challenge.Status.ACCEPTED, title="公示任务"
    )
    ChallengeFactory(challenge_list=announced, status=Challenge.Status.PROPOSED, title="未入榜建议")
    pending = ChallengeFactory(
        challenge_list=reviewing, status=Challenge.Status.ACCEPTED, title="评审任务"
    )
    winner = OrganizationFactory(name="公示的揭榜单位", region=ruian)
    hidden = OrganizationFactory(name="评审中的揭榜单位", region=ruian)
    Application.objects.create(challenge=won, lead=winner, status=Application.Status.SELECTED)
    Application.objects.create(
        challenge=won, lead=public_org, status=Application.Status.NOT_SELECTED
    )
    Application.objects.create(challenge=pending, lead=hidden, status=Application.Status.SELECTED)
    contract = registered(world, now=datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC))
    submitted(
        world,
        title="未登记合同",
        total_amount=Decimal("500"),
        tech_amount=Decimal("400"),
        payments=[],
    )
    return {
        "world": world,
        "org": public_org,
        "expert": expert,
        "demand": public,
        "winner": winner,
        "won": won,
        "announced": announced,
        "contract": contract,
    }


def test_every_dataset_holds_exactly_its_public_records(records):
    client = Client()
    ids = {
        slug: [row["id"] for row in csv_rows(fetch(client, slug, "csv"))]
        for slug in ("organizations", "experts", "demands", "challenge-lists", "challenges")
    }
    names = {r["name"] for r in csv_rows(fetch(client, "organizations", "csv"))}
    assert "公开机构" in names and "草稿机构" not in names
    assert [r["name"] for r in csv_rows(fetch(client, "experts", "csv"))].count("公开专家") == 1
    assert "草稿专家" not in fetch(client, "experts", "csv")
    assert ids["demands"] == [str(records["demand"].pk)]
    assert [r["title"] for r in csv_rows(fetch(client, "challenge-lists", "csv"))] == [
        "已公示榜单",
        "评审中榜单",
    ]
    assert [r["title"] for r in csv_rows(fetch(client, "challenges", "csv"))] == [
        "公示任务",
        "评审任务",
    ]
    results = json.loads(fetch(client, "challenge-results", "json"))
    assert results == [
        {
            "list_id": records["announced"].pk,
            "list_title": "已公示榜单",
            "challenge_id": records["won"].pk,
            "challenge_title": "公示任务",
            "lead": "公示的揭榜单位",
            "mode": "独立揭榜",
            "status": "拟揭榜",
            "announced_at": records["announced"].announced_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    turnover = json.loads(fetch(client, "contract-turnover", "json"))
    assert turnover == [
        {
            "region_code": "330300",
            "region_name": "温州市",
            "month": "2026-03",
            "kind": "技术开发",
            "contracts": 1,
            "tech_amount": "1000000.00",
            "total_amount": "1200000.00",
        }
    ]


def test_no_file_carries_anything_private(records):
    client = Client()
    for dataset in DATASETS:
        for fmt in ("csv", "json"):
            text = fetch(client, dataset.slug, fmt)
            leaked = [secret for secret in SECRETS if secret in text]
            assert leaked == [], (dataset.slug, fmt, leaked)


def test_the_columns_are_exactly_the_public_ones(records):
    columns = {d.slug: [c.name for c in d.columns] for d in DATASETS}
    assert columns["organizations"] == [
        "id",
        "name",
        "kind",
        "tier",
        "credit_code",
        "region_code",
        "region_name",
        "founded_year",
        "website",
        "main_products",
        "description",
        "updated_at",
    ]
    assert columns["experts"] == [
        "id",
        "name",
        "title",
        "affiliation",
        "talent",
        "is_part_time_engineer",
        "availability",
        "region_code",
        "region_name",
        "keywords",
        "profile",
        "updated_at",
    ]
    assert columns["demands"] == [
        "id",
        "title",
        "organization",
        "industry_chain",
        "field",
        "region_code",
        "region_name",
        "budget_min",
        "budget_max",
        "deadline",
        "cooperation_modes",
        "description",
        "published_at",
    ]
    client = Client()
    for dataset in DATASETS:
        rows = json.loads(fetch(client, dataset.slug, "json"))
        assert rows, dataset.slug
        assert all(list(row) == columns[dataset.slug] for row in rows), dataset.slug
        header = fetch(client, dataset.slug, "csv").lstrip("\ufeff").splitlines()[0]
        assert header.split(",") == columns[dataset.slug]


def test_formula_like_text_is_guarded_in_csv_but_not_in_json(records):
    DemandFactory(organization=records["org"], title='=HYPERLINK("http://evil.example")')
    client = Client()
    titles = [r["title"] for r in csv_rows(fetch(client, "demands", "csv"))]
    assert '\'=HYPERLINK("http://evil.example")' in titles
    assert '=HYPERLINK("http://evil.example")' in [
        r["title"] for r in json.loads(fetch(client, "demands", "json"))
    ]


def test_the_dcat_catalogue_describes_every_dataset(records):
    response = Client().get("/open-data/catalog.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    catalogue = json.loads(response.content)
    assert catalogue["@type"] == "dcat:Catalog"
    assert catalogue["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert catalogue["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert catalogue["dct:publisher"]["foaf:name"] == "科创 · 科技经济融通平台"
    datasets = catalogue["dcat:dataset"]
    assert [d["dct:identifier"] for d in datasets] == [d.slug for d in DATASETS]
    demands = next(d for d in datasets if d["dct:identifier"] == "demands")
    assert demands["@type"] == "dcat:Dataset"
    assert demands["dct:modified"]["@type"] == "xsd:dateTime"
    assert [
        (x["dct:format"], x["dcat:mediaType"], x["dcat:downloadURL"]["@id"])
        for x in demands["dcat:distribution"]
    ] == [
        ("CSV", "text/csv", "http://testserver/open-data/demands.csv"),
        ("JSON", "application/json", "http://testserver/open-data/demands.json"),
    ]
    for dataset in datasets:
        for distribution in dataset["dcat:distribution"]:
            url = distribution["dcat:downloadURL"]["@id"].removeprefix("http://testserver")
            assert Client().get(url).status_code == 200


def test_the_page_lists_the_datasets_and_unknown_files_are_404(records):
    page = Client().get("/open-data/")
    assert page.status_code == 200
    html = page.content.decode()
    for dataset in DATASETS:
        assert f'href="/open-data/{dataset.slug}.csv"' in html
    assert "/open-data/catalog.jsonld" in html
    assert Client().get("/open-data/nothing.csv").status_code == 404
    assert Client().get("/open-data/demands.xml").status_code == 404
