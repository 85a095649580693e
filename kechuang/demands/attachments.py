"""Checking uploaded attachments by their content, not their name.

Accepted: PDF, PNG, JPEG, Office Open XML (docx/xlsx/pptx: a zip whose ``[Content_Types].xml`` declares the
matching main part) and legacy Office (doc/xls: an OLE2 compound file). Executables (ELF, PE) are refused
whatever they are called, and so is anything larger than ``settings.UPLOAD_MAX_BYTES``.
"""

import zipfile
from pathlib import PurePath

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

OOXML_MAIN_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
OOXML_MIME = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE_MIME = {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}
SIMPLE_MIME = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
EXECUTABLE_HEADERS = (b"\x7fELF", b"MZ")
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED_EXTENSIONS = sorted({*OOXML_MIME, *OLE_MIME, *SIMPLE_MIME})


def check_attachment(uploaded) -> str:
    """Return the content type of ``uploaded`` (a Django ``UploadedFile``) or raise ``ValidationError``
    with a Chinese message saying why it was refused."""
    if uploaded.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("文件过大：%(size)s，上限为 %(limit)s")
            % {
                "size": filesizeformat(uploaded.size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            },
            code="size",
        )
    if uploaded.size == 0:
        raise ValidationError(_("文件为空"), code="empty")
    uploaded.seek(0)
    head = uploaded.read(4096)
    uploaded.seek(0)
    if head.startswith(EXECUTABLE_HEADERS):
        raise ValidationError(_("不允许上传可执行程序"), code="executable")
    extension = PurePath(uploaded.name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("不支持的文件类型，仅限 PDF、图片（PNG/JPEG）与 Office 文件"), code="type"
        )
    mismatch = ValidationError(
        _("文件内容与扩展名“%(ext)s”不符") % {"ext": extension}, code="content"
    )
    if extension in OOXML_MIME:
        if not _is_ooxml(uploaded, OOXML_MAIN_TYPES[extension]):
            raise mismatch
        return OOXML_MIME[extension]
    if extension in OLE_MIME:
        if not head.startswith(OLE_HEADER):
            raise mismatch
        return OLE_MIME[extension]
    try:
        detected = {match.mime_type for match in puremagic.magic_string(head)}
    except puremagic.PureError:
        detected = set()
    if SIMPLE_MIME[extension] not in detected:
        raise mismatch
    return SIMPLE_MIME[extension]


def _is_ooxml(uploaded, main_type: str) -> bool:
    try:
        with zipfile.ZipFile(uploaded) as archive:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False
    finally:
        uploaded.seek(0)
    return main_type in types
