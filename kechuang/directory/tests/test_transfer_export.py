"""Exports and templates: the same columns as the import, so an export re-imports unchanged."""

import io

import pytest
from openpyxl import load_workbook

from kechuang.accounts.factories import MembershipFactory
from kechuang.core.models import TechField
from kechuang.directory.factories import (
    AchievementFactory,
    ExpertFactory,
    ExpertWorkFactory,
    InnovationPlatformFactory,
    InstrumentFactory,
    OrganizationFactory,
    ServiceItemFactory,
)
from kechuang.directory.models import Achievement, ExpertWork, Organization
from kechuang.directory.tests.transfer_world import build_world, code
from kechuang.directory.transfer.exporter import export, template
from kechuang.directory.transfer.importer import RowError, import_records
from kechuang.directory.transfer.readers import read_upload
from kechuang.directory.transfer.specs import ORGANIZATIONS, SPECS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def directory(world):
    """Two records of every type in Wenzhou's districts, two organisations without a credit code and of
    one name in two districts, and one organisation in Jiangsu."""
    university = OrganizationFactory(
        region=world.lucheng,
        kind=Organization.Kind.UNIVERSITY,
        website="https://www.wzu.edu.cn",
        contact_phone="+86 577 8668 9999",
        description='=HYPERLINK("http://evil")',
        founded_year=1933,
    )
    university.industry_chains.set([world.chain])
    university.fields.set([world.field])
    firm = OrganizationFactory(region=world.ruian, tier=Organization.Tier.TECH_SME, is_shared=True)
    # A second 机械工程 makes the name ambiguous: exports must write 上级/名称 for both.
    cross = TechField.objects.create(name="交叉学科")
    firm.fields.set([TechField.objects.create(name="机械工程", parent=cross)])
    OrganizationFactory(region=world.jiangsu, name="苏州某公司")
    for district in (world.ruian, world.lucheng):
        OrganizationFactory(
            region=district, credit_code=None, name="机械工程学会", kind=Organization.Kind.SOCIETY
        )
    for owner in (university, firm):
        expert = ExpertFactory(affiliation=owner, region=owner.region, keywords=["电机", "控制"])
        expert.industry_chains.set([world.chain])
        ExpertWorkFactory(expert=expert, title="电驱动系统综述:现状，展望")
        ExpertWorkFactory(expert=expert, year=2019)
        ExpertWorkFactory(expert=expert, kind=ExpertWork.Kind.PATENT, year=None)
        AchievementFactory(owner=owner, region=owner.region)
        AchievementFactory(
            owner=owner,
            region=owner.region,
            kind=Achievement.Kind.NEW_PROCESS,
            patent_number=None,
            asking_price=None,
        )
        InstrumentFactory(owner=owner, region=owner.region, original_value="1234567.80")
        ServiceItemFactory(provider=owner, region=owner.region)
        InnovationPlatformFactory(host=owner, region=owner.region, established_year=2019)
    ExpertFactory(affiliation=None, region=world.ruian, name="独立专家", email="")
    return university, firm


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("record_type", sorted(SPECS))
def test_export_reimports_unchanged(world, directory, record_type, file_format):
    spec = SPECS[record_type]
    expected = spec.model.objects.managed_by(world.operator).count()

    data = export(world.operator, spec, file_format)
    report = import_records(world.operator, spec, read_upload(data))

    assert report.errors == []
    assert report.ignored_columns == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (
        expected,
        0,
        0,
        expected,
    )


def test_export_covers_the_operators_regions_and_private_columns_only_for_operators(
    world, directory
):
    university, _firm = directory
    member = MembershipFactory(organization=university, user__password=None).user

    operator_sheet = load_workbook(io.BytesIO(export(world.operator, ORGANIZATIONS, "xlsx")))
    member_csv = export(member, ORGANIZATIONS, "csv").decode("utf-8-sig").splitlines()

    operator_rows = list(operator_sheet.worksheets[0].iter_rows(values_only=True))
    assert operator_rows[0][-3:] == ("联系人", "联系电话", "联系邮箱")
    assert sorted(row[0] for row in operator_rows[1:]) == sorted(
        Organization.objects.filter(region__in=[world.ruian, world.lucheng]).values_list(
            "name", flat=True
        )
    )
    header = member_csv[0].split(",")
    assert header == [c.header for c in ORGANIZATIONS.columns if not c.private]
    assert len(member_csv) == 2 and member_csv[1].startswith(university.name)
    assert "工学/机械工程" in member_csv[1]
    # Formula-like text is guarded in CSV and stored as text in xlsx.
    assert "'=HYPERLINK" in member_csv[1]
    description = operator_rows[0].index("简介")
    assert '=HYPERLINK("http://evil")' in [row[description] for row in operator_rows[1:]]


def test_templates_have_every_column_a_guide_and_drop_down_lists(world):
    workbook = load_workbook(io.BytesIO(template(ORGANIZATIONS, "xlsx")))

    assert workbook.sheetnames == ["机构", "填写说明"]
    data_sheet, guide = workbook.worksheets
    assert [cell.value for cell in data_sheet[1]] == [c.header for c in ORGANIZATIONS.columns]
    kind_validation = next(
        v for v in data_sheet.data_validations.dataValidation if "C2" in str(v.sqref)
    )
    assert kind_validation.formula1 == (
        '"企业,高校,科研院所,新型研发机构,检验检测机构,企业工程技术中心,学会,科技服务机构"'
    )
    assert [cell.value for cell in guide[4]][:2] == ["类型", "必填"]
    assert template(ORGANIZATIONS, "csv").decode("utf-8-sig").strip() == ",".join(
        c.header for c in ORGANIZATIONS.columns
    )

    report = import_records(
        world.operator, ORGANIZATIONS, read_upload(template(ORGANIZATIONS, "xlsx"))
    )
    assert report.errors == [RowError(None, "", "文件中没有数据行")]


def test_organizations_without_credit_code_update_by_name_and_region(world):
    """Export, edit (a description; a credit code filled in), import: updates, no duplicates."""
    in_ruian = OrganizationFactory(region=world.ruian, credit_code=None, name="机械工程学会")
    in_lucheng = OrganizationFactory(region=world.lucheng, credit_code=None, name="机械工程学会")
    OrganizationFactory(region=world.ruian)
    sheets = read_upload(export(world.operator, ORGANIZATIONS, "xlsx"))
    header, *rows = sheets[0].rows
    for row in rows:
        if row[header.index("所在区域")] == "瑞安市" and row[0] == "机械工程学会":
            row[header.index("简介")] = "新简介"
        if row[header.index("所在区域")] == "鹿城区":
            row[header.index("统一社会信用代码")] = code(50)

    report = import_records(world.operator, ORGANIZATIONS, sheets)
    again = import_records(world.operator, ORGANIZATIONS, sheets)

    assert report.errors == again.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Organization.objects.count() == 3
    in_ruian.refresh_from_db()
    in_lucheng.refresh_from_db()
    assert (in_ruian.credit_code, in_ruian.description) == (None, "新简介")
    assert in_lucheng.credit_code == code(50)
