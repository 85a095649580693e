"""Checking uploaded files before anything reads them: size, and text decoding in the encodings Chinese
offices use (UTF-8 with or without BOM, UTF-16, GBK/GB18030), refusing binary files by their content.
Shared by the spreadsheet import and the vocabulary word lists; attachments (PDF, images, Office) checked
by content, and :data:`Attachment`, the type of an attachment in an API operation."""

import zipfile
from pathlib import PurePath
from typing import Annotated

import charset_normalizer
import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja.files import UploadedFile
from pydantic import AfterValidator, WithJsonSchema


class UnreadableFile(ValueError):
    """The upload is not a spreadsheet we can read; ``str(error)`` is the message for the user."""


def check_size(size: int) -> None:
    """Refuse files over ``settings.UPLOAD_MAX_BYTES``."""
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise UnreadableFile(
            _("文件大小超过上限（%(limit)s MB），请拆分后分批导入")
            % {"limit": f"{limit / 1024 / 1024:g}"}
        )


def _describe(data: bytes) -> str | None:
    """What kind of file ``data`` looks like, if puremagic recognises a non-text format."""
    try:
        matches = puremagic.magic_string(data[:8192])
    except puremagic.PureError:
        return None
    best = matches[0] if matches else None
    if best and best.extension not in {"", ".csv", ".txt"} and best.confidence >= 0.4:
        return best.name
    return None


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: BOM first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312), then
    charset-normalizer's best guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    kind = _describe(data)
    if kind or b"\x00" in data[:8192]:
        raise UnreadableFile(
            _("文件内容是“%(kind)s”，不是 Excel（.xlsx）或 CSV 表格")
            % {"kind": kind or _("二进制文件")}
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnreadableFile(_("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV"))
    return str(best)


# --- attachments (PDF, images, Office), checked by their content, not their name ---


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


def _not_empty(uploaded: UploadedFile) -> UploadedFile:
    if uploaded.size == 0:
        raise ValueError(_("文件为空"))
    return uploaded


# An attachment in an API operation (a multipart file part): at least one byte, documented so
# (``minLength: 1``) and refused before the operation runs (422), since no empty file is an attachment
# (:func:`check_attachment`). Without it the document allowed an empty part, which schemathesis sends as
# headers with no blank line after them (RFC 2046 allows it: an empty body); Django's multipart parser
# drops such a part, so a schema-valid request answered 422 "Field required".
Attachment = Annotated[
    UploadedFile,
    AfterValidator(_not_empty),
    WithJsonSchema({"type": "string", "format": "binary", "minLength": 1}),
]
