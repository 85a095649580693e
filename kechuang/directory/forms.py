"""Forms with which organisation members (and operators) edit directory records on the management pages.

The forms never carry the status, the review note, the region or the owning organisation: the status
changes only through the services, and a record's region and owner are set from the organisation it is
created under (operators change them in the admin).
"""

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.models import TechField
from kechuang.directory.models import (
    Achievement,
    Expert,
    InnovationPlatform,
    Instrument,
    Organization,
    ServiceItem,
)
from kechuang.directory.validators import normalize_credit_code, normalize_patent_number

KEYWORD_SEPARATORS = re.compile(r"[,，、;；\n\r]+")


class KeywordsField(forms.CharField):
    """A list of keywords typed as one line, split on Chinese or ASCII commas, 、 and semicolons."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("多个关键词用逗号、顿号或分号分隔"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        words: list[str] = []
        for word in KEYWORD_SEPARATORS.split(text):
            word = word.strip()
            if word and word not in words:
                words.append(word)
        return words


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in groups, each a fieldset with its name as the legend (Django's default writes the
    group's name as a ``<label>`` of no control)."""

    template_name = "directory/widgets/grouped_checkboxes.html"


class ListingForm(forms.ModelForm):
    """Fields shared by every record type's form: its industry chains and technical fields; a list
    of the model's choices opens on 请选择, not Django's "---------"."""

    COMMON = ["industry_chains", "fields"]

    def __init__(self, *args, organization: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["industry_chains"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["industry_chains"].choices
        )
        # a record names its disciplines, grouped under their categories (80 boxes in a row read 哲学
        # twice, the category and its one discipline); a category it is tagged with stays offered
        tagged = self.instance.fields.filter(parent=None) if self.instance.pk else []
        self.fields["fields"].widget = GroupedCheckboxes(
            choices=TechField.grouped_choices(whole=False, keep=[f.pk for f in tagged])
        )
        for field in self.fields.values():
            if isinstance(field, forms.TypedChoiceField):  # a model field's choices
                field.choices = [
                    ("", _("请选择")) if value == "" else (value, label)
                    for value, label in field.choices
                ]

    def relations(self) -> dict:
        """The many-to-many values to hand to ``services.save_record`` (after ``is_valid()``)."""
        return {
            name: self.cleaned_data[name]
            for name, field in self.fields.items()
            if isinstance(field, forms.ModelMultipleChoiceField)
        }


class OrganizationForm(ListingForm):
    website = forms.URLField(label=_("网站"), required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = [
            "name",
            "credit_code",
            "kind",
            "is_shared",
            "founded_year",
            "employees",
            "address",
            "website",
            "main_products",
            "description",
            "contact_name",
            "contact_phone",
            "contact_email",
            *ListingForm.COMMON,
        ]

    def clean_credit_code(self) -> str | None:
        # Empty stays NULL so that the unique constraint allows many organisations without a code.
        code = self.cleaned_data.get("credit_code")
        return normalize_credit_code(code) if code else None


class ExpertForm(ListingForm):
    keywords = KeywordsField(label=_("研究关键词"))

    class Meta:
        model = Expert
        fields = [
            "name",
            "title",
            "talent",
            "is_part_time_engineer",
            "availability",
            "keywords",
            "profile",
            "phone",
            "email",
            *ListingForm.COMMON,
        ]


class AchievementForm(ListingForm):
    keywords = KeywordsField(label=_("关键词"))

    class Meta:
        model = Achievement
        fields = [
            "title",
            "kind",
            "patent_number",
            "description",
            "keywords",
            "maturity",
            "inventors",
            "allows_transfer",
            "allows_license",
            "allows_joint_development",
            "allows_equity",
            "asking_price",
            *ListingForm.COMMON,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.organization or self.instance.owner
        # Inventors are picked among the organisation's own experts: the directory holds far too many
        # experts for one list, and a patent's inventors work for its owner. Inventors already linked
        # elsewhere (by an operator) stay choices, so that saving the form does not drop them.
        linked = self.instance.inventors.all() if self.instance.pk else Expert.objects.none()
        self.fields["inventors"].queryset = Expert.objects.filter(
            Q(affiliation=organization) | Q(pk__in=linked.values("pk"))
        ).order_by("name")
        self.fields["inventors"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["inventors"].choices
        )

    def clean_patent_number(self) -> str | None:
        number = self.cleaned_data.get("patent_number")
        return normalize_patent_number(number) if number else None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") in Achievement.PATENT_KINDS and not cleaned.get("patent_number"):
            self.add_error("patent_number", _("专利类成果须填写专利号"))
        return cleaned


class InstrumentForm(ListingForm):
    class Meta:
        model = Instrument
        fields = [
            "name",
            "asset_code",
            "category",
            "model_number",
            "manufacturer",
            "original_value",
            "location",
            "description",
            "unit",
            "internal_rate",
            "external_rate",
            "state",
            "accepts_vouchers",
            *ListingForm.COMMON,
        ]


class ServiceItemForm(ListingForm):
    class Meta:
        model = ServiceItem
        fields = [
            "title",
            "category",
            "description",
            "price",
            "price_unit",
            "accepts_vouchers",
            *ListingForm.COMMON,
        ]


class InnovationPlatformForm(ListingForm):
    class Meta:
        model = InnovationPlatform
        fields = ["name", "kind", "level", "established_year", "description", *ListingForm.COMMON]


FORMS: dict[str, type[ListingForm]] = {
    "organization": OrganizationForm,
    "expert": ExpertForm,
    "achievement": AchievementForm,
    "instrument": InstrumentForm,
    "service": ServiceItemForm,
    "platform": InnovationPlatformForm,
}
