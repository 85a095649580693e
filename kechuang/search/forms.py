"""Forms of the vocabulary editor: the operators' search vocabulary."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.uploads import UnreadableFile, check_size
from kechuang.search.models import VocabularyEntry


class EntryForm(forms.Form):
    """One entry: a term, or a synonym group's terms separated by commas, spaces or 、."""

    kind = forms.ChoiceField(choices=VocabularyEntry.Kind.choices, widget=forms.HiddenInput)
    text = forms.CharField(label=_("词语"), max_length=1000)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class BulkForm(forms.Form):
    """Many entries at once, pasted or as a .txt/.csv file (one entry a line)."""

    kind = forms.ChoiceField(choices=VocabularyEntry.Kind.choices, widget=forms.HiddenInput)
    words = forms.CharField(
        label=_("粘贴词表"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    file = forms.FileField(
        label=_("或上传文件"),
        required=False,
        help_text=_("每行一条，.txt 或 .csv,UTF-8 或 GBK 编码；# 开头的行是注释"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            try:
                check_size(upload.size)
            except UnreadableFile as error:
                raise forms.ValidationError(str(error)) from error
        return upload

    def clean(self):
        cleaned = super().clean()
        pasted, upload = cleaned.get("words", "").strip(), cleaned.get("file")
        if pasted and upload:  # one source, so that the line numbers of the report are unambiguous
            raise forms.ValidationError(_("请粘贴词表或上传文件，二者选一"))
        if not pasted and not upload and not self.errors:
            raise forms.ValidationError(_("请粘贴词表或选择文件"))
        return cleaned


class AnalyzeForm(forms.Form):
    text = forms.CharField(
        label=_("示例文本"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
