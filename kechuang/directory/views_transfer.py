"""Import and export pages (``/manage/transfer/``).

Operators download a template, upload a file to check (校验, a dry run) or import (导入), and follow the
import on a status page that polls itself with htmx until the row-level report is ready. Imports run as
Django Tasks (:mod:`kechuang.directory.transfer.tasks`). Exports are open to any signed-in user for the
records they may manage or edit.
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kechuang.accounts.permissions import is_operator
from kechuang.core.uploads import UnreadableFile, check_size
from kechuang.directory.transfer import exporter, tasks
from kechuang.directory.transfer.importer import ImportReport
from kechuang.directory.transfer.specs import SPECS, RecordSpec

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
STAGES = {"checking": gettext_lazy("校验中"), "writing": gettext_lazy("写入中")}


class UploadForm(forms.Form):
    record_type = forms.ChoiceField(
        label=gettext_lazy("数据类型"),
        choices=[(spec.name, spec.label) for spec in SPECS.values()],
    )
    file = forms.FileField(
        label=gettext_lazy("文件"), help_text=gettext_lazy("Excel（.xlsx）或 CSV（UTF-8 / GBK）")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def _operator_required(request: HttpRequest) -> None:
    if not is_operator(request.user):
        raise PermissionDenied(_("只有运营人员可以导入资源库数据"))


def _spec(record_type: str) -> RecordSpec:
    try:
        return SPECS[record_type]
    except KeyError:
        raise Http404(_("未知的记录类型")) from None


def _check_format(file_format: str) -> None:
    if file_format not in CONTENT_TYPES:
        raise Http404(_("未知的文件格式"))


def _download(data: bytes, spec: RecordSpec, kind: str, file_format: str) -> HttpResponse:
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    filename = f"{spec.label}{kind}-{date.today():%Y%m%d}.{file_format}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _operator_required(request)
    form = UploadForm(initial={"record_type": request.GET.get("type", "organizations")})
    return render(request, "directory/transfer/index.html", {"form": form, "specs": SPECS.values()})


@login_required
def template_download(request: HttpRequest, record_type: str, file_format: str) -> HttpResponse:
    spec = _spec(record_type)
    _check_format(file_format)
    return _download(exporter.template(spec, file_format), spec, _("导入模板"), file_format)


@login_required
def export_download(request: HttpRequest, record_type: str, file_format: str) -> HttpResponse:
    spec = _spec(record_type)
    _check_format(file_format)
    return _download(exporter.export(request.user, spec, file_format), spec, _("导出"), file_format)


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Store the upload and queue a check (``action=check``) or an import (``action=import``)."""
    _operator_required(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"form": form, "specs": SPECS.values()}
        return render(request, "directory/transfer/index.html", context, status=400)
    upload_file = form.cleaned_data["file"]
    path = tasks.store_upload(upload_file.read(), upload_file.name)
    import_id = tasks.start_import(
        request.user,
        form.cleaned_data["record_type"],
        path,
        upload_file.name,
        dry_run=request.POST.get("action") != "import",
    )
    return redirect("transfer:status", import_id=import_id)


def _own_status(request: HttpRequest, import_id: str) -> dict:
    status = tasks.import_status(import_id)
    if status is None or (status["user_id"] != request.user.pk and not request.user.is_superuser):
        raise Http404(_("没有找到这次导入"))
    return status


@login_required
def status(request: HttpRequest, import_id: str) -> HttpResponse:
    """The import's progress and, once finished, its report. htmx polls ask for the fragment only."""
    _operator_required(request)
    state = _own_status(request, import_id)
    report = ImportReport.from_dict(state["report"]) if state["report"] else None
    context = {
        "import_id": import_id,
        "state": state,
        "spec": _spec(state["record_type"]),
        "report": report,
        "stage": STAGES.get(state["stage"], ""),
        "finished": state["state"] in {tasks.DONE, tasks.FAILED},
    }
    template = (
        "directory/transfer/_status.html" if request.htmx else "directory/transfer/status.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def confirm(request: HttpRequest, import_id: str) -> HttpResponse:
    """Import a file whose check passed, without uploading it again."""
    _operator_required(request)
    state = _own_status(request, import_id)
    report = ImportReport.from_dict(state["report"]) if state["report"] else None
    if not (state["dry_run"] and report and report.ok):
        raise Http404(_("这次校验未通过或尚未完成，不能导入"))
    if not default_storage.exists(state["path"]):
        messages.error(request, _("上传的文件已过期或已导入，请重新上传"))
        return redirect("transfer:index")
    new_id = tasks.start_import(
        request.user, state["record_type"], state["path"], state["filename"], dry_run=False
    )
    return redirect("transfer:status", import_id=new_id)
