"""Checking uploaded files before anything reads them: size, and text decoding in the encodings Chinese
offices use (UTF-8 with or without BOM, UTF-16, GBK/GB18030), refusing binary files by their content.
Shared by the spreadsheet import and the vocabulary word lists."""

import charset_normalizer
import puremagic
from django.conf import settings
from django.utils.translation import gettext as _


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
