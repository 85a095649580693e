"""What each record type's sheet looks like: Chinese column headers, the model field each fills, how a cell
is read on import and written on export, and the natural key that makes re-imports update instead of
duplicate.

The same :class:`RecordSpec` drives the downloadable template, the importer and the exporter, so an export
re-imports unchanged.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import Truncator, format_lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kechuang.core.models import IndustryChain, Region, TechField
from kechuang.directory.models import (
    Achievement,
    Expert,
    ExpertWork,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.directory.transfer.cells import (
    CellError,
    fold_width,
    parse_bool,
    parse_int,
    parse_money,
    split_values,
)
from kechuang.directory.validators import (
    normalize_credit_code,
    normalize_patent_number,
    patent_check_digit,
)

LIST_SEPARATOR = "、"
QUERY_CHUNK = 500  # values per ``__in`` lookup, well under every database's parameter limit


def normalize_header(text: str) -> str:
    """Headers as people write them: full-width brackets, spaces, line breaks, ``*`` marks for required
    columns, ``(必填)`` and a ``(元)`` unit all make no difference."""
    folded = fold_width(text)
    folded = re.sub(r"[\s*]", "", folded)
    return folded.replace("(必填)", "").replace("(元)", "").rstrip(":")


class Lookups:
    """Reference data for one import or export: regions, industry chains, technical fields, and the
    organisations the file names. Loaded once, so rows cost no queries of their own."""

    def __init__(self) -> None:
        self.regions = {region.pk: region for region in Region.objects.all()}
        self._region_by_code = {region.code: region for region in self.regions.values()}
        self._regions_by_name: dict[str, list[Region]] = defaultdict(list)
        for region in self.regions.values():
            self._regions_by_name[region.name].append(region)
            full_name = self._full_name(region)
            if full_name != region.name:
                self._regions_by_name[full_name].append(region)
        self._chains: dict[str, IndustryChain] = {}
        self.chain_names: dict[int, str] = {}
        for chain in IndustryChain.objects.all():
            self._chains[chain.slug.casefold()] = chain
            self._chains[chain.name.casefold()] = chain
            self.chain_names[chain.pk] = chain.name
        self._fields: dict[str, list[TechField]] = defaultdict(list)
        fields = list(TechField.objects.select_related("parent"))
        for tech_field in fields:
            self._fields[tech_field.name.casefold()].append(tech_field)
            if tech_field.parent_id:
                path = f"{tech_field.parent.name}/{tech_field.name}".casefold()
                self._fields[path].append(tech_field)
        # Exports name a field by its own name, or as 上级/名称 where that name is shared.
        self.field_names = {}
        for tech_field in fields:
            shared = len(self._fields[tech_field.name.casefold()]) > 1
            self.field_names[tech_field.pk] = (
                f"{tech_field.parent.name}/{tech_field.name}"
                if shared and tech_field.parent_id
                else tech_field.name
            )
        self._organizations_by_code: dict[str, Organization] = {}
        self._organizations_by_name: dict[str, list[Organization]] = defaultdict(list)

    def _full_name(self, region: Region) -> str:
        names = []
        current: Region | None = region
        while current is not None:
            names.append(current.name)
            current = self.regions.get(current.parent_id) if current.parent_id else None
        return "".join(reversed(names))

    def region(self, text: str) -> Region:
        """A region by 行政区划代码, by name when that name is unique, or by full name (浙江省温州市瑞安市)."""
        key = fold_width(text).strip()
        if key in self._region_by_code:
            return self._region_by_code[key]
        matches = self._regions_by_name.get(key, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CellError(_("区域名称不唯一，请填写行政区划代码"))
        raise CellError(_("未知区域“%(value)s”") % {"value": text})

    def region_label(self, region_id: int) -> str:
        """How exports name a region: its name when unique, else its code."""
        region = self.regions[region_id]
        return region.name if len(self._regions_by_name[region.name]) == 1 else region.code

    def chain(self, text: str) -> IndustryChain:
        try:
            return self._chains[text.casefold()]
        except KeyError:
            raise CellError(_("未知产业链“%(value)s”") % {"value": text}) from None

    def tech_field(self, text: str) -> TechField:
        matches = self._fields.get(fold_width(text).replace(" ", "").casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CellError(
                _("技术领域“%(value)s”不唯一，请写作“上级领域/%(value)s”") % {"value": text}
            )
        raise CellError(_("未知技术领域“%(value)s”") % {"value": text})

    def load_organizations(self, texts: Iterable[str]) -> None:
        """Fetch, in a few queries, the organisations that cells name by credit code or by name."""
        names = sorted({text.strip() for text in texts if text.strip()})
        codes = sorted({normalize_credit_code(name) for name in names})
        found: dict[int, Organization] = {}
        for lookup, values in (("credit_code__in", codes), ("name__in", names)):
            for start in range(0, len(values), QUERY_CHUNK):
                chunk = values[start : start + QUERY_CHUNK]
                found.update((o.pk, o) for o in Organization.objects.filter(**{lookup: chunk}))
        for organization in found.values():
            if organization.credit_code:
                self._organizations_by_code[organization.credit_code] = organization
            self._organizations_by_name[organization.name].append(organization)

    def organization(self, text: str) -> Organization:
        """An organisation by 统一社会信用代码, or by its exact name when no other organisation has it."""
        code = normalize_credit_code(text)
        if code in self._organizations_by_code:
            return self._organizations_by_code[code]
        matches = self._organizations_by_name.get(text.strip(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CellError(
                _("机构名称“%(value)s”不唯一，请填写统一社会信用代码") % {"value": text}
            )
        raise CellError(
            _("未找到机构“%(value)s”，请填写已入库机构的统一社会信用代码，或先导入该机构")
            % {"value": text}
        )


class Column:
    """One column of a record type's sheet: a plain text field unless a subclass says otherwise."""

    # Fills related rows (a many-to-many relation, an expert's works) rather than a field; such a column
    # has ``prefetch`` (the relation it reads) and ``save(obj, value)`` (writes it after ``obj`` is saved).
    many = False

    def __init__(
        self,
        header: str,
        field: str,
        *,
        required: bool = False,
        aliases: Sequence[str] = (),
        private: bool = False,
        note: str = "",
        example: str = "",
    ) -> None:
        self.header = header
        self.field = field
        self.required = required
        self.aliases = tuple(aliases)
        self.private = private
        self.note = note
        self.example = example

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.header}>"

    def model_field(self, model: type[models.Model]) -> models.Field:
        return model._meta.get_field(self.field)

    def parse(self, text: str, lookups: Lookups, model: type[models.Model]) -> Any:
        return text.strip()

    def blank(self, model: type[models.Model]) -> Any:
        """The value an empty cell stands for: the field's default, ``None`` where it may be null, or ''."""
        model_field = self.model_field(model)
        if model_field.has_default():
            return model_field.get_default()
        return None if model_field.null else ""

    def current(self, obj: models.Model) -> Any:
        """The record's value in the form :meth:`comparable` gives a parsed cell."""
        return getattr(obj, self.field)

    def comparable(self, value: Any) -> Any:
        return value

    def differs(self, obj: models.Model, value: Any) -> bool:
        return self.current(obj) != self.comparable(value)

    def render(self, obj: models.Model, lookups: Lookups) -> str:
        value = getattr(obj, self.field)
        return "" if value is None else str(value)

    def options(self, model: type[models.Model]) -> list[str]:
        """The values a template offers in a drop-down list, if any."""
        return []

    def describe(self, model: type[models.Model]) -> str:
        """What to write in this column, for the template's 填写说明 sheet."""
        return self.note or str(self.model_field(model).help_text or "")


class CreditCodeColumn(Column):
    def parse(self, text, lookups, model):
        return normalize_credit_code(text)

    def describe(self, model):
        return _(
            "18位，末位为校验码；用作机构的唯一标识，重复导入时据此更新。"
            "没有代码的机构按名称和所在区域更新，日后补填代码也会更新原记录"
        )


class PatentNumberColumn(Column):
    def parse(self, text, lookups, model):
        return normalize_patent_number(text)

    def describe(self, model):
        return _("如 ZL201910123456.X，末位为校验位；专利类成果据此更新")


class IntColumn(Column):
    def parse(self, text, lookups, model):
        return parse_int(text)

    def describe(self, model):
        return self.note or _("整数")


class BoolColumn(Column):
    def parse(self, text, lookups, model):
        return parse_bool(text)

    def render(self, obj, lookups):
        return _("是") if getattr(obj, self.field) else _("否")

    def options(self, model):
        return [_("是"), _("否")]

    def describe(self, model):
        return _("填“是”或“否”")


class ChoiceColumn(Column):
    """A field with choices: a cell may hold the Chinese label (企业) or the code (enterprise)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._labels: dict[tuple[type[models.Model], str | None], list[tuple[str, str]]] = {}

    def _choices(self, model) -> list[tuple[str, str]]:
        # Labels are translated: cache them per model and active language.
        key = (model, get_language())
        if key not in self._labels:
            self._labels[key] = [
                (value, str(label)) for value, label in self.model_field(model).choices
            ]
        return self._labels[key]

    def parse(self, text, lookups, model):
        key = fold_width(text).strip()
        for value, label in self._choices(model):
            if key == label or key.casefold() == value.casefold():
                return value
        raise CellError(
            _("“%(value)s”不是有效选项，可选：%(options)s")
            % {"value": text, "options": LIST_SEPARATOR.join(self.options(model))}
        )

    def render(self, obj, lookups):
        value = getattr(obj, self.field)
        return dict(self._choices(type(obj))).get(value, value)

    def options(self, model):
        return [label for value, label in self._choices(model) if value]

    def describe(self, model):
        return _("可选：%(options)s") % {"options": LIST_SEPARATOR.join(self.options(model))}


class MoneyColumn(Column):
    def parse(self, text, lookups, model):
        amount = parse_money(text)
        if amount is None and not self.model_field(model).null:
            raise CellError(_("应填写金额"))
        return amount

    def render(self, obj, lookups):
        value = getattr(obj, self.field)
        return "" if value is None else f"{value:.2f}"

    def describe(self, model):
        text = _("单位：元，最多两位小数，如 1234.50；可写“5万”")
        if self.model_field(model).null:
            text += _("；留空或填“面议”表示面议")
        return text


class ListColumn(Column):
    """A list of words stored as JSON (关键词)."""

    def parse(self, text, lookups, model):
        return split_values(text)

    def blank(self, model):
        return []

    def render(self, obj, lookups):
        return LIST_SEPARATOR.join(getattr(obj, self.field))

    def describe(self, model):
        return _("多个值用“、”“;”“,”或换行分隔")


class RegionColumn(Column):
    def parse(self, text, lookups, model):
        return lookups.region(text)

    def blank(self, model):
        return None  # the importer fills in the owner's region or keeps the record's own

    def current(self, obj):
        return obj.region_id

    def comparable(self, value):
        return value.pk

    def render(self, obj, lookups):
        return lookups.region_label(obj.region_id)

    def describe(self, model):
        return self.note or _("区域名称（如“瑞安市”）或6位行政区划代码；名称重复时须填代码")


class OrganizationColumn(Column):
    """A reference to an organisation already in the directory, by credit code (or unique name)."""

    def parse(self, text, lookups, model):
        return lookups.organization(text)

    def current(self, obj):
        return getattr(obj, f"{self.field}_id")

    def comparable(self, value):
        return None if value is None else value.pk

    def render(self, obj, lookups):
        organization = getattr(obj, self.field)
        if organization is None:
            return ""
        return organization.credit_code or organization.name

    def describe(self, model):
        return _("已入库机构的统一社会信用代码（或不重名的机构全称）")


class ManyColumn(Column):
    """A many-to-many relation to reference data, written as names separated by 、."""

    many = True

    def resolve(self, text: str, lookups: Lookups) -> models.Model:
        raise NotImplementedError

    def label(self, pk: int, lookups: Lookups) -> str:
        raise NotImplementedError

    def parse(self, text, lookups, model):
        return sorted({self.resolve(part, lookups).pk for part in split_values(text)})

    def blank(self, model):
        return []

    def current(self, obj):
        return {related.pk for related in getattr(obj, self.field).all()}

    def comparable(self, value):
        return set(value)

    @property
    def prefetch(self) -> str:
        return self.field

    def save(self, obj: models.Model, value: list[int]) -> None:
        getattr(obj, self.field).set(value)

    def render(self, obj, lookups):
        return LIST_SEPARATOR.join(sorted(self.label(pk, lookups) for pk in self.current(obj)))


class ChainsColumn(ManyColumn):
    def resolve(self, text, lookups):
        return lookups.chain(text)

    def label(self, pk, lookups):
        return lookups.chain_names[pk]

    def describe(self, model):
        return _("已有产业链的名称，多个用“、”分隔")


class FieldsColumn(ManyColumn):
    def resolve(self, text, lookups):
        return lookups.tech_field(text)

    def label(self, pk, lookups):
        return lookups.field_names[pk]

    def describe(self, model):
        return _("已有技术领域的名称，多个用“、”分隔；重名时写“上级领域/领域”")


WORK_SEPARATORS = re.compile(r"[；;\r\n]+")  # titles themselves hold 、 and ,
_WORK_YEAR = re.compile(r"^(.*?)\s*[(（]\s*([0-9０-９]{4})\s*[)）]$")


class WorksColumn(Column):
    """An expert's works of one kind (论文, 专利, 项目), one per line as ``题目(年份)``.

    Importing the column replaces the expert's works of that kind: a listed title (compared ignoring case)
    keeps its abstract, keywords and reference, a new title is added with its year, and a work no longer
    listed is removed. Abstracts are edited on the expert's page."""

    many = True
    prefetch = "works"

    def __init__(self, header: str, kind: str, **kwargs) -> None:
        super().__init__(header, f"works_{kind}", **kwargs)
        self.kind = kind

    def parse(self, text, lookups, model):
        works: dict[str, tuple[str, int | None]] = {}
        for entry in WORK_SEPARATORS.split(text):
            entry = entry.strip()
            if not entry:
                continue
            match = _WORK_YEAR.match(entry)
            title, year = (match[1], int(match[2])) if match else (entry, None)
            try:
                ExpertWork(kind=self.kind, title=title, year=year).full_clean(
                    exclude=["expert"], validate_unique=False
                )
            except ValidationError as error:
                messages = "".join(m for ms in error.message_dict.values() for m in ms)
                raise CellError(
                    _("“%(entry)s”：%(problem)s")
                    % {"entry": Truncator(entry).chars(20), "problem": messages}
                ) from None
            works.setdefault(title.casefold(), (title, year))
        return list(works.values())

    def blank(self, model):
        return []

    def current(self, obj):
        return {(work.title, work.year) for work in obj.works.all() if work.kind == self.kind}

    def comparable(self, value):
        return set(value)

    def save(self, obj: models.Model, value: list[tuple[str, int | None]]) -> None:
        old = {work.title.casefold(): work for work in obj.works.all() if work.kind == self.kind}
        new, changed = [], []
        for title, year in value:
            work = old.pop(title.casefold(), None)
            if work is None:
                new.append(ExpertWork(expert=obj, kind=self.kind, title=title, year=year))
            elif (work.title, work.year) != (title, year):
                work.title, work.year = title, year
                changed.append(work)
        ExpertWork.objects.filter(pk__in=[work.pk for work in old.values()]).delete()
        ExpertWork.objects.bulk_update(changed, ["title", "year"])
        ExpertWork.objects.bulk_create(new)

    def render(self, obj, lookups):
        works = [work for work in obj.works.all() if work.kind == self.kind]
        return "\n".join(
            f"{work.title}({work.year})" if work.year else work.title for work in works
        )

    def describe(self, model):
        return _(
            "每行一项，写作“题目（年份）”，年份可省略；导入时以此列替换该专家的此类成果，"
            "已有题目的摘要保留"
        )


@dataclass(frozen=True)
class NaturalKey:
    """Fields that identify a record across imports. It applies to a row when the ``requires`` fields are
    filled; ``where`` restricts which existing records it may match. A key that ``fills_in`` is also tried
    when an earlier key applied but found no record (a record without a credit code gaining one)."""

    fields: tuple[str, ...]
    requires: tuple[str, ...]
    where: dict[str, Any] = field(default_factory=dict)
    fills_in: bool = False

    def of_values(self, values: dict[str, Any]) -> tuple:
        return tuple(_key_part(values.get(name)) for name in self.fields)

    def of_record(self, obj: models.Model) -> tuple:
        return tuple(
            _key_part(getattr(obj, obj._meta.get_field(name).attname)) for name in self.fields
        )


def _key_part(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.strip().casefold() or None
    return value


@dataclass(frozen=True)
class HeaderMatch:
    """Where each known column sits in a header row, and what is wrong with the header row."""

    positions: dict[str, int]  # column field → 0-based position
    missing: list[str]  # headers of required columns not found
    duplicated: list[str]  # headers found more than once
    ignored: list[str]  # headers that name no column


@dataclass(frozen=True)
class RecordSpec:
    """The sheet layout of one record type."""

    name: str  # URL and command-line name: "organizations"
    label: str  # 机构
    model: type[models.Model]
    columns: tuple[Column, ...]
    keys: tuple[NaturalKey, ...]
    region_from: str | None = None  # an owner field whose region a blank 所在区域 takes
    select_related: tuple[str, ...] = ()

    def column(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    def header_for(self, field_name: str) -> str:
        column = self.column(field_name)
        if column is not None:
            return column.header
        if field_name == "__all__":
            return ""
        return str(self.model._meta.get_field(field_name).verbose_name)

    @property
    def prefetch(self) -> list[str]:
        """The relations the columns that fill related rows read."""
        return sorted({column.prefetch for column in self.columns if column.many})

    def columns_for(self, *, include_private: bool) -> list[Column]:
        return [c for c in self.columns if include_private or not c.private]

    def match_headers(self, names: list[list[str]]) -> HeaderMatch:
        """Match a header row's candidate names (see :meth:`Sheet.header_names`) to this type's columns."""
        known: dict[str, Column] = {}
        for column in self.columns:
            for header in (column.header, *column.aliases):
                known.setdefault(normalize_header(header), column)
        positions: dict[str, int] = {}
        duplicated: list[str] = []
        ignored: list[str] = []
        for position, candidates in enumerate(names):
            column = next(
                (known[normalize_header(n)] for n in candidates if normalize_header(n) in known),
                None,
            )
            if column is None:
                if candidates:
                    ignored.append(candidates[-1])
            elif column.field in positions:
                duplicated.append(column.header)
            else:
                positions[column.field] = position
        missing = [c.header for c in self.columns if c.required and c.field not in positions]
        return HeaderMatch(positions, missing, duplicated, ignored)

    def example_row(self) -> dict[str, str]:
        return {column.field: column.example for column in self.columns}


def _listing_columns(*, region_note: str = "", region_required: bool = False) -> tuple[Column, ...]:
    """The columns every directory record type ends with."""
    return (
        RegionColumn(
            "所在区域",
            "region",
            required=region_required,
            aliases=("区域", "所属区域", "行政区划", "行政区划代码"),
            note=region_note,
            example="瑞安市",
        ),
        ChainsColumn("产业链", "industry_chains", aliases=("所属产业链",), example="汽车零部件"),
        FieldsColumn("技术领域", "fields", aliases=("所属领域", "领域"), example="机械工程"),
        ChoiceColumn("状态", "status", aliases=("发布状态",), example=gettext_lazy("已发布")),
    )


EXAMPLE_CREDIT_CODE = "91330381MA2867XD05"
_EXAMPLE_PATENT_DIGITS = "202110123456"
EXAMPLE_PATENT_NUMBER = f"ZL{_EXAMPLE_PATENT_DIGITS}.{patent_check_digit(_EXAMPLE_PATENT_DIGITS)}"


def _owned_region_note(owner: str) -> str:
    return format_lazy(
        gettext_lazy("留空则取{owner}所在区域；否则填区域名称或6位行政区划代码"), owner=owner
    )


ORGANIZATIONS = RecordSpec(
    name="organizations",
    label=gettext_lazy("机构"),
    model=Organization,
    columns=(
        Column(
            "名称",
            "name",
            required=True,
            aliases=("机构名称", "单位名称", "企业名称"),
            example="瑞安市华邦汽车部件有限公司",
        ),
        CreditCodeColumn(
            "统一社会信用代码",
            "credit_code",
            aliases=("信用代码", "社会信用代码"),
            example=EXAMPLE_CREDIT_CODE,
        ),
        ChoiceColumn(
            "类型",
            "kind",
            required=True,
            aliases=("机构类型", "单位类型"),
            example=gettext_lazy("企业"),
        ),
        ChoiceColumn("培育梯次", "tier", example=gettext_lazy("高新技术企业")),
        BoolColumn("共享机构", "is_shared", example=gettext_lazy("否")),
        IntColumn(
            "成立年份", "founded_year", note=gettext_lazy("四位年份，如 2008"), example="2008"
        ),
        IntColumn("职工人数", "employees", example="320"),
        Column("地址", "address", example="瑞安市经济开发区发展区飞云街道"),
        Column("网站", "website", example="https://www.example.cn"),
        Column(
            "主营产品/研究方向",
            "main_products",
            aliases=("主营产品", "研究方向"),
            example="汽车电控气源装置",
        ),
        Column(
            "简介",
            "description",
            aliases=("机构简介", "单位简介"),
            example="主要从事汽车零部件的研发与制造。",
        ),
        *_listing_columns(region_required=True),
        Column("联系人", "contact_name", private=True, example="王工"),
        Column("联系电话", "contact_phone", private=True, example="0577-65000000"),
        Column("联系邮箱", "contact_email", private=True, example="contact@example.cn"),
    ),
    keys=(
        NaturalKey(("credit_code",), requires=("credit_code",)),
        NaturalKey(
            ("name", "region"),
            requires=("name", "region"),
            where={"credit_code__isnull": True},
            fills_in=True,
        ),
    ),
)

EXPERTS = RecordSpec(
    name="experts",
    label=gettext_lazy("专家"),
    model=Expert,
    columns=(
        Column("姓名", "name", required=True, aliases=("专家姓名",), example="李明"),
        Column("职称", "title", example="教授"),
        OrganizationColumn(
            "工作单位(统一社会信用代码)",
            "affiliation",
            aliases=("工作单位", "工作单位信用代码", "单位"),
            example=EXAMPLE_CREDIT_CODE,
        ),
        ChoiceColumn("人才类别", "talent", example=gettext_lazy("专家学者")),
        BoolColumn(
            "兼职工程师",
            "is_part_time_engineer",
            aliases=("产业链兼职工程师",),
            example=gettext_lazy("否"),
        ),
        ChoiceColumn("对接意愿", "availability", example=gettext_lazy("可对接")),
        ListColumn(
            "研究关键词", "keywords", aliases=("关键词", "研究方向"), example="电机控制、新能源汽车"
        ),
        Column(
            "个人简介", "profile", aliases=("简介",), example="长期从事新能源汽车电驱动系统研究。"
        ),
        WorksColumn(
            "论文",
            ExpertWork.Kind.PAPER,
            aliases=("代表性论文", "代表论文", "发表论文"),
            example="永磁同步电机无传感器控制研究(2022)",
        ),
        WorksColumn(
            "专利",
            ExpertWork.Kind.PATENT,
            aliases=("代表性专利", "授权专利"),
            example="一种电机控制器散热结构(2021)",
        ),
        WorksColumn(
            "科研项目",
            ExpertWork.Kind.PROJECT,
            aliases=("项目", "主持项目"),
            example="新能源汽车电驱动系统关键技术(2020)",
        ),
        *_listing_columns(region_note=_owned_region_note(gettext_lazy("工作单位"))),
        Column(
            "手机", "phone", private=True, aliases=("手机号", "联系电话"), example="13900000000"
        ),
        Column(
            "邮箱",
            "email",
            private=True,
            aliases=("电子邮箱", "联系邮箱"),
            note=gettext_lazy("同名同单位的专家以邮箱区分"),
            example="liming@example.cn",
        ),
    ),
    keys=(
        NaturalKey(("name", "affiliation", "email"), requires=("name", "email")),
        NaturalKey(("name", "affiliation"), requires=("name",)),
    ),
    region_from="affiliation",
    select_related=("affiliation",),
)

ACHIEVEMENTS = RecordSpec(
    name="achievements",
    label=gettext_lazy("科技成果"),
    model=Achievement,
    columns=(
        Column(
            "成果名称",
            "title",
            required=True,
            aliases=("名称", "专利名称"),
            example="一种集成式电控气源装置",
        ),
        ChoiceColumn(
            "成果类型", "kind", required=True, aliases=("类型",), example=gettext_lazy("发明专利")
        ),
        PatentNumberColumn(
            "专利号",
            "patent_number",
            aliases=("专利申请号", "申请号"),
            example=EXAMPLE_PATENT_NUMBER,
        ),
        OrganizationColumn(
            "权属单位(统一社会信用代码)",
            "owner",
            required=True,
            aliases=("权属单位", "专利权人"),
            example=EXAMPLE_CREDIT_CODE,
        ),
        Column(
            "成果简介",
            "description",
            required=True,
            aliases=("简介", "摘要"),
            example="将空压机、干燥器与电控阀集成为一体。",
        ),
        ListColumn("关键词", "keywords", example="气源装置、新能源商用车"),
        ChoiceColumn("成熟度", "maturity", aliases=("成熟程度",), example=gettext_lazy("中试阶段")),
        BoolColumn("可转让", "allows_transfer", example=gettext_lazy("是")),
        BoolColumn("可许可", "allows_license", example=gettext_lazy("是")),
        BoolColumn("可合作开发", "allows_joint_development", example=gettext_lazy("否")),
        BoolColumn("可作价入股", "allows_equity", example=gettext_lazy("否")),
        MoneyColumn(
            "意向价格(元)", "asking_price", aliases=("价格", "转让价格"), example="500000.00"
        ),
        *_listing_columns(region_note=_owned_region_note(gettext_lazy("权属单位"))),
    ),
    keys=(
        NaturalKey(("patent_number",), requires=("patent_number",)),
        NaturalKey(
            ("owner", "title"), requires=("owner", "title"), where={"patent_number__isnull": True}
        ),
    ),
    region_from="owner",
    select_related=("owner",),
)

INSTRUMENTS = RecordSpec(
    name="instruments",
    label=gettext_lazy("大型仪器"),
    model=Instrument,
    columns=(
        Column(
            "仪器名称",
            "name",
            required=True,
            aliases=("名称", "设备名称", "仪器设备名称"),
            example="扫描电子显微镜",
        ),
        Column(
            "资产编号",
            "asset_code",
            required=True,
            aliases=("仪器编号", "设备编号"),
            example="YQ-2021-0001",
        ),
        OrganizationColumn(
            "所属单位(统一社会信用代码)",
            "owner",
            required=True,
            aliases=("所属单位", "管理单位"),
            example=EXAMPLE_CREDIT_CODE,
        ),
        ChoiceColumn(
            "仪器类别",
            "category",
            required=True,
            aliases=("类别",),
            example=gettext_lazy("分析仪器"),
        ),
        Column("规格型号", "model_number", aliases=("型号",), example="SU8010"),
        Column("生产厂商", "manufacturer", aliases=("生产厂家", "制造商"), example="日立"),
        MoneyColumn("原值(元)", "original_value", aliases=("资产原值",), example="2800000.00"),
        Column("放置地点", "location", aliases=("存放地点", "安放地点"), example="检测中心 201 室"),
        Column(
            "主要功能与技术指标",
            "description",
            aliases=("技术指标", "主要技术指标", "主要功能"),
            example="分辨率 1.0 nm",
        ),
        ChoiceColumn("计费单位", "unit", example=gettext_lazy("小时")),
        MoneyColumn(
            "内部收费(元)",
            "internal_rate",
            aliases=("收费标准/校内", "收费标准/内部", "校内收费"),
            example="200.00",
        ),
        MoneyColumn(
            "对外收费(元)",
            "external_rate",
            aliases=("收费标准/校外", "收费标准/对外", "校外收费"),
            example="400.00",
        ),
        ChoiceColumn("运行状态", "state", example=gettext_lazy("可预约")),
        BoolColumn("支持创新券", "accepts_vouchers", example=gettext_lazy("是")),
        *_listing_columns(region_note=_owned_region_note(gettext_lazy("所属单位"))),
    ),
    keys=(NaturalKey(("asset_code",), requires=("asset_code",)),),
    region_from="owner",
    select_related=("owner",),
)

SERVICES = RecordSpec(
    name="services",
    label=gettext_lazy("服务项目"),
    model=ServiceItem,
    columns=(
        Column(
            "服务名称", "title", required=True, aliases=("名称", "服务项目"), example="材料成分检测"
        ),
        OrganizationColumn(
            "服务机构(统一社会信用代码)",
            "provider",
            required=True,
            aliases=("服务机构",),
            example=EXAMPLE_CREDIT_CODE,
        ),
        ChoiceColumn(
            "服务类别",
            "category",
            required=True,
            aliases=("类别",),
            example=gettext_lazy("检验检测"),
        ),
        Column(
            "服务内容",
            "description",
            required=True,
            aliases=("服务简介", "简介"),
            example="金属材料化学成分与力学性能检测。",
        ),
        MoneyColumn("参考价格(元)", "price", aliases=("价格", "收费标准"), example="800.00"),
        Column("计价单位", "price_unit", example="次"),
        BoolColumn("支持创新券", "accepts_vouchers", example=gettext_lazy("是")),
        *_listing_columns(region_note=_owned_region_note(gettext_lazy("服务机构"))),
    ),
    keys=(NaturalKey(("provider", "title"), requires=("provider", "title")),),
    region_from="provider",
    select_related=("provider",),
)

PLATFORMS = RecordSpec(
    name="platforms",
    label=gettext_lazy("创新平台"),
    model=InnovationPlatform,
    columns=(
        Column(
            "平台名称",
            "name",
            required=True,
            aliases=("名称",),
            example="瑞安市汽车零部件工程技术研究中心",
        ),
        ChoiceColumn(
            "平台类型",
            "kind",
            required=True,
            aliases=("类型",),
            example=gettext_lazy("工程技术研究中心"),
        ),
        ChoiceColumn(
            "级别", "level", required=True, aliases=("平台级别",), example=gettext_lazy("省级")
        ),
        OrganizationColumn(
            "依托单位(统一社会信用代码)",
            "host",
            required=True,
            aliases=("依托单位",),
            example=EXAMPLE_CREDIT_CODE,
        ),
        IntColumn(
            "认定年份", "established_year", note=gettext_lazy("四位年份，如 2019"), example="2019"
        ),
        Column(
            "简介",
            "description",
            aliases=("平台简介",),
            example="围绕汽车电控系统开展共性技术研究。",
        ),
        *_listing_columns(region_note=_owned_region_note(gettext_lazy("依托单位"))),
    ),
    keys=(NaturalKey(("host", "name"), requires=("host", "name")),),
    region_from="host",
    select_related=("host",),
)

SPECS: dict[str, RecordSpec] = {
    spec.name: spec
    for spec in (ORGANIZATIONS, EXPERTS, ACHIEVEMENTS, INSTRUMENTS, SERVICES, PLATFORMS)
}


def get_spec(name: str) -> RecordSpec:
    """The spec for a record type name; ``KeyError`` for unknown names."""
    return SPECS[name]
