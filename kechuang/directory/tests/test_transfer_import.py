"""The import service: all-or-nothing, exact row-level reports, natural keys, permissions."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kechuang.accounts.factories import UserFactory
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import ExpertFactory, ExpertWorkFactory, OrganizationFactory
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    Organization,
    ServiceItem,
    Status,
)
from kechuang.directory.tests.transfer_world import build_world, code, csv_bytes, sheet
from kechuang.directory.transfer.importer import RowError, import_records
from kechuang.directory.transfer.readers import read_upload
from kechuang.directory.transfer.specs import ACHIEVEMENTS, EXPERTS, ORGANIZATIONS, SERVICES
from kechuang.directory.validators import patent_check_digit

pytestmark = pytest.mark.django_db

ORG_HEADER = ["名称", "统一社会信用代码", "类型", "所在区域", "产业链", "技术领域", "培育梯次"]


@pytest.fixture
def world():
    return build_world()


def counts() -> tuple[int, int, int]:
    return Organization.objects.count(), Achievement.objects.count(), AuditEntry.objects.count()


def test_gbk_csv_with_title_row_imports_organizations(world):
    data = csv_bytes(
        [
            ["瑞安市2024年科技型企业名录", "", "", ""],
            [],
            ORG_HEADER,
            [
                "瑞安华邦汽车部件有限公司",
                code(1),
                "企业",
                "瑞安市",
                "汽车零部件",
                "机械工程",
                "高新技术企业",
            ],
            ["温州大学", code(2).lower(), "高校", "330302", "", "", ""],
        ],
        encoding="gbk",
    )

    calls = []

    report = import_records(
        world.operator,
        ORGANIZATIONS,
        read_upload(data),
        progress=lambda *call: calls.append(call),
    )

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    assert calls == [("checking", 1, 2), ("checking", 2, 2), ("writing", 1, 2), ("writing", 2, 2)]
    firm = Organization.objects.get(credit_code=code(1))
    assert (firm.name, firm.kind, firm.region, firm.tier, firm.status) == (
        "瑞安华邦汽车部件有限公司",
        Organization.Kind.ENTERPRISE,
        world.ruian,
        Organization.Tier.HIGH_TECH,
        Status.PUBLISHED,
    )
    assert list(firm.industry_chains.all()) == [world.chain]
    assert list(firm.fields.all()) == [world.field]
    university = Organization.objects.get(credit_code=code(2))
    assert (university.kind, university.region, university.tier) == (
        Organization.Kind.UNIVERSITY,
        world.lucheng,
        "",
    )
    audit = AuditEntry.objects.get()
    assert (audit.actor, audit.action, audit.target_type, audit.target_id) == (
        world.operator,
        "directory.record.import",
        "directory.organization",
        report.import_id,
    )
    assert audit.data == {"sheet": "CSV", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}


def test_malformed_file_reports_every_problem_and_writes_nothing(world):
    rows = [
        ["名称", "统一社会信用代码", "类型", "所在区域", "产业链", "成立年份", "职工人数", "网站"],
        ["好公司", code(1), "企业", "瑞安市", "", "2008", "12", ""],
        [
            "校验位错",
            code(2)[:17] + ("0" if code(2)[17] != "0" else "1"),
            "企业",
            "瑞安市",
            "",
            "",
            "",
            "",
        ],
        ["类型错", code(3), "工厂", "瑞安市", "", "", "", ""],
        ["区域重名", code(4), "企业", "市辖区", "", "", "", ""],
        ["", code(5), "企业", "火星", "", "", "", ""],
        ["数字错", code(6), "企业", "瑞安市", "", "二〇〇八", "-5", "not a url"],
        ["产业链错", code(7), "enterprise", "330381", "造船、汽车零部件", "", "", ""],
        ["无代码协会", "", "学会", "瑞安市", "", "", "", ""],
        ["无代码协会", "", "学会", "330381", "", "", "", ""],
    ]
    before = counts()

    report = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    kinds = "企业、高校、科研院所、新型研发机构、检验检测机构、企业工程技术中心、学会、科技服务机构"
    assert report.errors == [
        RowError(3, "统一社会信用代码", "统一社会信用代码校验位错误"),
        RowError(4, "类型", f"“工厂”不是有效选项，可选：{kinds}"),
        RowError(5, "所在区域", "区域名称不唯一，请填写行政区划代码"),
        RowError(6, "名称", "此列为必填项"),
        RowError(6, "所在区域", "未知区域“火星”"),
        RowError(7, "成立年份", "应为整数，而不是“二〇〇八”"),
        RowError(7, "职工人数", "不能小于0"),
        RowError(7, "网站", "输入一个有效的 URL。"),
        RowError(8, "产业链", "未知产业链“造船”"),
        RowError(10, "名称", "与第9行重复（名称、所在区域相同）"),
    ]
    assert report.rows == 9
    assert counts() == before


def test_missing_required_column_is_reported_against_the_header_row(world):
    rows = [["名称", "统一社会信用代码", "所在区域", "备注"], ["好公司", code(1), "瑞安市", "x"]]

    report = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    assert report.errors == [RowError(1, "类型", "缺少必填列")]
    assert Organization.objects.count() == 0


def test_duplicate_rows_are_reported_naming_the_first_and_nothing_is_written(world):
    existing = OrganizationFactory(credit_code=code(9), name="原名称", region=world.ruian)
    rows = [
        ["名称", "统一社会信用代码", "类型", "所在区域"],
        ["甲公司", code(1), "企业", "瑞安市"],
        ["乙公司", code(2), "企业", "瑞安市"],
        ["甲公司(重复)", code(1), "企业", "瑞安市"],
        [
            "甲公司(全角)",
            code(1).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
            "企业",
            "瑞安市",
        ],
        ["改名", code(9), "企业", "瑞安市"],
    ]
    before = counts()

    report = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    assert report.errors == [
        RowError(4, "统一社会信用代码", "与第2行重复（统一社会信用代码相同）"),
        RowError(5, "统一社会信用代码", "与第2行重复（统一社会信用代码相同）"),
    ]
    assert counts() == before
    existing.refresh_from_db()
    assert existing.name == "原名称"


def test_reimporting_the_same_file_changes_nothing(world):
    rows = [
        ORG_HEADER,
        ["甲公司", code(1), "企业", "瑞安市", "汽车零部件", "工学/机械工程", ""],
        ["乙公司", code(2), "高校", "鹿城区", "", "", ""],
    ]
    first = import_records(world.operator, ORGANIZATIONS, sheet(rows))
    stamps = dict(Organization.objects.values_list("pk", "updated_at"))

    second = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    assert first.errors == second.errors == []
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert dict(Organization.objects.values_list("pk", "updated_at")) == stamps


def test_rows_update_records_by_natural_key(world):
    firm = OrganizationFactory(
        credit_code=code(1), name="旧名", region=world.ruian, contact_phone="0577-1"
    )
    other = OrganizationFactory(credit_code=code(2), name="乙公司", region=world.ruian)
    rows = [
        ["名称", "统一社会信用代码", "类型", "所在区域", "产业链"],
        ["新名", code(1), "企业", "瑞安市", "汽车零部件"],
        ["乙公司", code(2), "企业", "瑞安市", ""],
    ]

    report = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    firm.refresh_from_db()
    # 联系电话 is not a column of the file, so it is left as it was.
    assert (firm.name, firm.contact_phone) == ("新名", "0577-1")
    assert list(firm.industry_chains.all()) == [world.chain]
    assert Organization.objects.count() == 2
    other.refresh_from_db()
    assert other.name == "乙公司"


def test_operator_of_another_region_gets_row_errors_and_nothing_is_written(world):
    jiangsu_firm = OrganizationFactory(credit_code=code(3), region=world.jiangsu, name="苏企")
    rows = [
        ["名称", "统一社会信用代码", "类型", "所在区域"],
        ["甲公司", code(1), "企业", "瑞安市"],
        ["苏企迁入", code(3), "企业", "瑞安市"],
    ]
    before = counts()

    outsider_report = import_records(world.outsider, ORGANIZATIONS, sheet(rows))
    operator_report = import_records(world.operator, ORGANIZATIONS, sheet(rows))

    assert outsider_report.errors == [
        RowError(2, "所在区域", "无权管理该区域"),
        RowError(3, "所在区域", "无权管理该区域"),
    ]
    assert operator_report.errors == [RowError(3, "所在区域", "已有记录属于江苏省，无权管理该区域")]
    assert counts() == before
    jiangsu_firm.refresh_from_db()
    assert (jiangsu_firm.region, jiangsu_firm.name) == (world.jiangsu, "苏企")


def test_only_operators_import(world):
    member = UserFactory()
    with pytest.raises(PermissionDenied):
        import_records(member, ORGANIZATIONS, sheet([["名称"], ["x"]]))


def test_achievements_reference_owners_and_check_money_and_patents(world):
    owner = OrganizationFactory(credit_code=code(1), name="温州大学", region=world.lucheng)
    check = patent_check_digit("202110000001")
    wrong = "0" if check != "0" else "1"
    header = ["成果名称", "成果类型", "专利号", "权属单位", "成果简介", "意向价格(元)", "所在区域"]
    good = [
        header,
        [
            "集成式电控气源装置",
            "发明专利",
            f"ZL 2021 1 0000001.{check}",
            code(1),
            "简介",
            "1,234.5元",
            "",
        ],
        ["新型涂层工艺", "新工艺", "", "温州大学", "简介", "面议", "瑞安市"],
    ]
    bad = [
        header,
        ["负价", "新工艺", "", code(1), "简介", "-5", ""],
        ["三位小数", "新工艺", "", code(1), "简介", "12.345", ""],
        ["专利号错", "发明专利", f"ZL202110000001.{wrong}", code(1), "简介", "", ""],
        ["无此单位", "新工艺", "", code(8), "简介", "", ""],
    ]

    bad_report = import_records(world.operator, ACHIEVEMENTS, sheet(bad))
    assert bad_report.errors == [
        RowError(2, "意向价格(元)", "金额不能为负数"),
        RowError(3, "意向价格(元)", "金额最多保留两位小数（精确到分）"),
        RowError(4, "专利号", "专利号校验位错误"),
        RowError(
            5,
            "权属单位(统一社会信用代码)",
            f"未找到机构“{code(8)}”，请填写已入库机构的统一社会信用代码，或先导入该机构",
        ),
    ]
    assert Achievement.objects.count() == 0

    report = import_records(world.operator, ACHIEVEMENTS, sheet(good))
    assert report.errors == []
    patent = Achievement.objects.get(patent_number=f"ZL202110000001.{check}")
    assert (patent.owner, patent.region, patent.asking_price) == (
        owner,
        world.lucheng,
        Decimal("1234.50"),
    )
    process = Achievement.objects.get(title="新型涂层工艺")
    assert (process.patent_number, process.region, process.asking_price) == (
        None,
        world.ruian,
        None,
    )

    good[2][4] = "新简介"
    again = import_records(world.operator, ACHIEVEMENTS, sheet(good))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    process.refresh_from_db()
    assert process.description == "新简介"


def test_experts_of_one_organisation_with_one_name_are_told_apart_by_email(world):
    OrganizationFactory(credit_code=code(1), name="温州大学", region=world.lucheng)
    rows = [
        ["姓名", "工作单位", "邮箱", "研究关键词", "手机"],
        ["王伟", code(1), "wangwei1@wzu.edu.cn", "电机控制;新能源汽车、电机控制", "139"],
        ["王伟", code(1), "wangwei2@wzu.edu.cn", "", ""],
        ["王伟", code(1), "WANGWEI1@wzu.edu.cn", "", ""],
    ]

    report = import_records(world.operator, EXPERTS, sheet(rows))
    assert report.errors == [
        RowError(4, "姓名", "与第2行重复（姓名、工作单位(统一社会信用代码)、邮箱相同）")
    ]

    report = import_records(world.operator, EXPERTS, sheet(rows[:3]))
    assert report.errors == []
    first = Expert.objects.get(email="wangwei1@wzu.edu.cn")
    assert (first.keywords, first.region, first.phone) == (
        ["电机控制", "新能源汽车"],
        world.lucheng,
        "139",
    )
    assert Expert.objects.count() == 2


def test_dry_run_counts_but_writes_nothing(world):
    rows = [["服务名称", "服务机构", "服务类别", "服务内容"], ["检测", code(1), "检验检测", "x"]]
    OrganizationFactory(credit_code=code(1), region=world.ruian)

    report = import_records(world.operator, SERVICES, sheet(rows), dry_run=True)

    assert (report.dry_run, report.created, report.errors) == (True, 1, [])
    assert ServiceItem.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_works_columns_replace_an_experts_works_of_each_kind_and_keep_abstracts(world):
    university = OrganizationFactory(credit_code=code(1), name="温州大学", region=world.lucheng)
    expert = ExpertFactory(name="李明", affiliation=university, email="liming@wzu.edu.cn")
    kept = ExpertWorkFactory(expert=expert, title="电机控制研究", abstract="摘要一", year=2020)
    ExpertWorkFactory(expert=expert, title="旧论文")
    ExpertWorkFactory(expert=expert, kind=ExpertWork.Kind.PATENT, title="旧专利")
    project = ExpertWorkFactory(expert=expert, kind=ExpertWork.Kind.PROJECT, title="某项目")
    rows = [
        ["姓名", "工作单位", "邮箱", "论文", "专利"],
        [
            "李明",
            code(1),
            "liming@wzu.edu.cn",
            "电机控制研究(2021)\n新论文:控制、驱动，综述（２０２３）",
            "",
        ],
        ["王芳", code(1), "", "论文甲;论文甲；论文乙", "一种散热结构 (2019)"],
    ]

    report = import_records(world.operator, EXPERTS, sheet(rows))

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    works = {
        (w.expert.name, w.kind, w.title, w.year, w.abstract)
        for w in ExpertWork.objects.select_related("expert")
    }
    assert works == {
        ("李明", "paper", "电机控制研究", 2021, "摘要一"),
        ("李明", "paper", "新论文:控制、驱动，综述", 2023, ""),
        ("李明", "project", "某项目", 2022, project.abstract),
        ("王芳", "paper", "论文甲", None, ""),
        ("王芳", "paper", "论文乙", None, ""),
        ("王芳", "patent", "一种散热结构", 2019, ""),
    }
    assert ExpertWork.objects.get(title="电机控制研究").pk == kept.pk

    again = import_records(world.operator, EXPERTS, sheet(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_works_are_reported_by_row_and_column_and_nothing_is_written(world):
    OrganizationFactory(credit_code=code(1), name="温州大学", region=world.lucheng)
    long_title = "长" * 301
    rows = [
        ["姓名", "工作单位", "论文", "科研项目"],
        ["李明", code(1), f"好论文\n{long_title}(2020)", ""],
        ["王芳", code(1), "", "(2019)"],
    ]

    report = import_records(world.operator, EXPERTS, sheet(rows))

    assert report.errors == [
        RowError(2, "论文", f"“{'长' * 17}...”：确保该变量包含不超过 300 字符 (目前字符数 301)。"),
        RowError(3, "科研项目", "“(2019)”：此字段不能为空。"),
    ]
    assert (Expert.objects.count(), ExpertWork.objects.count()) == (0, 0)
