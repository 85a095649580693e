"""Attachment checks by content: allowed types pass, wrong types, oversize files and renamed executables
are refused with a Chinese message; downloads follow the demand's visibility."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kechuang.demands import services
from kechuang.demands.attachments import check_attachment
from kechuang.demands.factories import DemandFactory
from kechuang.demands.models import DemandAttachment

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100


def ooxml(main_part: str, content_type: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/{main_part}" ContentType="{content_type}"/></Types>',
        )
        archive.writestr(main_part, "<x/>")
    return buffer.getvalue()


DOCX = ooxml(
    "word/document.xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
)
XLSX = ooxml(
    "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("方案.pdf", PDF, "application/pdf"),
        ("照片.PNG", PNG, "image/png"),
        ("现场.jpg", JPEG, "image/jpeg"),
        (
            "说明.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("参数.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("旧文档.doc", OLE, "application/msword"),
        ("旧表格.xls", OLE, "application/vnd.ms-excel"),
    ],
)
def test_allowed_files_pass_with_their_type(name, content, expected):
    assert check_attachment(upload(name, content)) == expected


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("程序.pdf", ELF, "executable"),
        ("setup.docx", PE, "executable"),
        ("脚本.sh", b"#!/bin/sh\nrm -rf /\n", "type"),
        ("图片.png", PDF, "content"),
        ("报告.pdf", PNG, "content"),
        ("说明.docx", XLSX, "content"),  # a spreadsheet renamed to .docx
        ("假文档.docx", b"PK\x03\x04not really a zip", "content"),
        ("文本.doc", b"plain text", "content"),
        ("空.pdf", b"", "empty"),
    ],
)
def test_refused_files(name, content, code):
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload(name, content))
    assert caught.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)  # Chinese message


def test_oversize_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        check_attachment(upload("大文件.pdf", PDF + b"0" * 1024))
    assert caught.value.code == "size"
    assert check_attachment(upload("小文件.pdf", PDF)) == "application/pdf"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_service_stores_checked_files_only_while_editable(world, media):
    demand = DemandFactory(organization=world.enterprise, status="draft", published_at=None)
    attachment = services.add_attachment(world.owner, demand, upload("方案.pdf", PDF))
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert (media / attachment.file.name).read_bytes() == PDF

    with pytest.raises(ValidationError):
        services.add_attachment(world.owner, demand, upload("病毒.pdf", ELF))
    demand.status = "published"
    demand.save()
    with pytest.raises(services.Refused):
        services.add_attachment(world.owner, demand, upload("二版.pdf", PDF))
    assert DemandAttachment.objects.count() == 1


def test_upload_through_the_form_refuses_executables(world, media, client):
    client.force_login(world.owner)
    response = client.post(
        "/demands/new/",
        {
            "organization": world.enterprise.pk,
            "title": "注塑件翘曲",
            "description": "需要改进冷却",
            "visibility": "public",
            "attachment": upload("图纸.pdf", ELF),
        },
        follow=True,
    )
    assert "不允许上传可执行程序" in response.content.decode()
    assert DemandAttachment.objects.count() == 0
    assert not world.enterprise.demands.exists()


def test_download_only_for_those_who_see_the_demand(world, media, client):
    demand = DemandFactory(organization=world.enterprise, visibility="restricted")
    attachment = DemandAttachment(
        demand=demand, name="方案.pdf", content_type="application/pdf", size=len(PDF)
    )
    attachment.file.save("方案.pdf", upload("方案.pdf", PDF))
    url = f"/demands/attachments/{attachment.pk}/"

    client.force_login(world.expert_user)
    assert client.get(url).status_code == 404
    client.force_login(world.owner)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def stored_files(media) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_post_demand_saves_attaches_and_submits_in_one_step(world, media):
    from kechuang.core.models import AuditEntry
    from kechuang.demands.tests.test_demand_services import draft_input

    demand = services.post_demand(
        world.owner, world.enterprise, draft_input(), uploads=[upload("方案.pdf", PDF)], submit=True
    )
    assert (demand.status, demand.attachments.get().name) == ("pending", "方案.pdf")
    (stored,) = stored_files(media)
    assert re.fullmatch(rf"demands/{demand.pk}/[0-9a-f]{{32}}\.pdf", stored)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "demands.demand.create",
        "demands.demand.attach",
        "demands.demand.submit",
    ]


def test_post_demand_refused_midway_leaves_no_demand_no_file_no_audit(world, media):
    """The second file is refused after the demand was saved and the first file stored: nothing stays."""
    from kechuang.core.models import AuditEntry
    from kechuang.demands.models import Demand
    from kechuang.demands.tests.test_demand_services import draft_input
    from kechuang.notifications.models import Notification

    with pytest.raises(ValidationError):
        services.post_demand(
            world.owner,
            world.enterprise,
            draft_input(),
            uploads=[upload("方案.pdf", PDF), upload("图纸.pdf", ELF)],
            submit=True,
        )
    assert not Demand.objects.exists()
    assert not DemandAttachment.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not Notification.objects.exists()
    assert stored_files(media) == []


def test_resubmitting_a_returned_demand_through_the_form_is_one_step(world, media, client):
    """A returned demand edited, given a file and submitted from the form: all three happen, and the page
    says what happens next."""
    demand = DemandFactory(
        organization=world.enterprise,
        status="returned",
        published_at=None,
        review_note="请补充指标",
    )
    client.force_login(world.owner)
    response = client.post(
        f"/demands/{demand.pk}/edit/",
        {
            "organization": world.enterprise.pk,
            "title": "注塑件翘曲变形控制",
            "description": "翘曲 0.5 mm,目标 0.1 mm 以内。",
            "visibility": "public",
            "attachment": upload("检测报告.pdf", PDF),
            "submit": "1",
        },
        follow=True,
    )
    demand.refresh_from_db()
    assert (demand.status, demand.title, demand.review_note) == (
        "pending",
        "注塑件翘曲变形控制",
        "",
    )
    assert [a.name for a in demand.attachments.all()] == ["检测报告.pdf"]
    html = response.content.decode()
    assert "需求已提交，等待科协审核。" in html
    assert 'data-step="review" aria-current="step"' in html


def test_an_attachment_name_longer_than_a_file_system_allows_is_stored(world, media, client):
    """A 120-character Chinese name (360 bytes, over the 255 bytes a file name may have on disk) is kept
    as the attachment's name and given back on download; the stored file has a short random name, and
    the demand, its file and its audit rows are written together."""
    from kechuang.demands.tests.test_demand_services import draft_input

    long_name = "关于新能源汽车电控气源装置噪声与能耗优化的技术方案说明" * 5 + ".pdf"
    assert len(long_name.encode()) > 255
    demand = services.post_demand(
        world.owner, world.enterprise, draft_input(), uploads=[upload(long_name, PDF)]
    )
    attachment = demand.attachments.get()
    assert attachment.name == long_name[-200:]
    (stored,) = stored_files(media)
    assert len(stored.rsplit("/", 1)[1].encode()) < 64
    client.force_login(world.owner)
    response = client.get(f"/demands/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
