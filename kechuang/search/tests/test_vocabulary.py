"""The search vocabulary that operators edit: validation, permissions (page and API), all-or-nothing bulk
addition with a line report, and the real effect on search — synonyms and stop words at once in every
process, new dictionary words after the rebuild the change queues."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from kechuang.accounts.tests.scenario import build_world, person
from kechuang.core.actions import Refused
from kechuang.core.models import AuditEntry
from kechuang.directory.factories import AchievementFactory
from kechuang.search import indexing, vocabulary
from kechuang.search.models import IndexRebuild, VocabularyEntry

pytestmark = pytest.mark.django_db

Kind = VocabularyEntry.Kind
PAGE = "/manage/vocabulary/"
API = "/api/vocabulary/"


@pytest.fixture(autouse=True)
def fresh_index(settings, tmp_path):
    """Each test gets its own empty index folder and a freshly loaded backend."""
    settings.MATCHING = {**settings.MATCHING, "INDEX_DIR": tmp_path / "index", "ENCODER": "none"}
    indexing.reset_backend()
    yield
    indexing.reset_backend()


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def operator(world):
    return world.ruian_operator


@pytest.fixture
def admin(db):
    """A platform operator (superuser): the one who keeps the platform-wide stop words."""

    return person("platform_admin", is_superuser=True, is_staff=True)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the after-commit work (index updates, backend reload, rebuild) of the writes in the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ids(hits):
    return [hit.id for hit in hits]


# --- validation ----------------------------------------------------------------------------------------


def test_traditional_and_full_width_input_is_stored_simplified_and_half_width(operator):
    term = vocabulary.add_entry(operator, Kind.TERM, " 電動車輛 ")
    latin = vocabulary.add_entry(operator, Kind.TERM, "ＳＧ３５２５")
    group = vocabulary.add_entry(operator, Kind.SYNONYM, "電動汽車，新能源汽車、電動車")
    assert term.text == "电动车辆"
    assert latin.text == "sg3525"
    assert group.text == "电动汽车,新能源汽车,电动车"
    assert group.terms == ["电动汽车", "新能源汽车", "电动车"]
    assert term.region == operator.mandates.get().region
    assert term.created_by == operator and term.active


def test_a_duplicate_active_entry_is_refused(operator):
    vocabulary.add_entry(operator, Kind.TERM, "电控气源")
    vocabulary.add_entry(operator, Kind.SYNONYM, "涂装 喷涂")
    with pytest.raises(ValidationError, match="已有相同的有效条目"):
        vocabulary.add_entry(operator, Kind.TERM, "電控氣源")
    with pytest.raises(ValidationError, match="已有相同的有效条目"):
        vocabulary.add_entry(operator, Kind.SYNONYM, "喷涂,涂装")
    assert VocabularyEntry.objects.count() == 2


def test_the_database_refuses_a_second_active_entry_with_the_same_key(operator):
    vocabulary.add_entry(operator, Kind.TERM, "电控气源")
    with pytest.raises(IntegrityError), transaction.atomic():
        VocabularyEntry.objects.create(kind=Kind.TERM, text="电控气源", key="电控气源")


@pytest.mark.parametrize(
    "kind, text, message",
    [
        (Kind.SYNONYM, "电动汽车", "至少要有两个不同的词"),
        (Kind.SYNONYM, "电动汽车,電動汽車", "至少要有两个不同的词"),
        (Kind.TERM, "   ", "不能为空"),
        (Kind.TERM, "电控 气源", "空格或分隔符"),
        (Kind.TERM, "电控-气源!", "标点或符号"),
        (Kind.TERM, "气", "至少要有两个字符"),
        (Kind.TERM, "气" * 31, "太长"),
        (Kind.SYNONYM, ",".join(f"词{n}" for n in range(21)), "最多 20 个词"),
    ],
)
def test_bad_entries_are_refused_and_nothing_is_written(operator, kind, text, message):
    with pytest.raises(ValidationError, match=message):
        vocabulary.add_entry(operator, kind, text)
    assert not VocabularyEntry.objects.exists()
    assert not AuditEntry.objects.filter(action="vocabulary.add").exists()


def test_latin_terms_may_keep_their_joiners(operator):
    assert vocabulary.add_entry(operator, Kind.TERM, "Pro/TOOLKIT").text == "pro/toolkit"


def test_a_word_cannot_be_both_a_stop_word_and_a_dictionary_word(operator, admin):
    vocabulary.add_entry(admin, Kind.STOPWORD, "本发明")
    vocabulary.add_entry(operator, Kind.SYNONYM, "涂装,喷涂")
    with pytest.raises(ValidationError, match="是停用词"):
        vocabulary.add_entry(operator, Kind.TERM, "本发明")
    with pytest.raises(ValidationError, match="不能同时作为停用词"):
        vocabulary.add_entry(admin, Kind.STOPWORD, "喷涂")
    assert VocabularyEntry.objects.count() == 2


def test_a_stop_word_the_segmenter_would_cut_is_refused(operator, admin):
    with pytest.raises(ValidationError, match="会被切分为“蜂窝 / 陶瓷”"):
        vocabulary.add_entry(admin, Kind.STOPWORD, "蜂窝陶瓷")
    result = vocabulary.add_entries(admin, Kind.STOPWORD, [(1, "所述"), (2, "蜂窝陶瓷")])
    assert [(e.line, e.text) for e in result.errors] == [(2, "蜂窝陶瓷")]
    assert not VocabularyEntry.objects.exists()


def test_removal_deactivates_keeps_history_and_allows_adding_again(operator):
    entry = vocabulary.add_entry(operator, Kind.TERM, "电控气源")
    removed = vocabulary.deactivate(operator, entry.pk)
    assert (removed.active, removed.deactivated_by) == (False, operator)
    assert removed.deactivated_at is not None
    with pytest.raises(Refused, match="已删除"):
        vocabulary.deactivate(operator, entry.pk)
    again = vocabulary.add_entry(operator, Kind.TERM, "电控气源")
    assert again.pk != entry.pk
    assert list(
        AuditEntry.objects.filter(target_type="search.vocabularyentry")
        .order_by("pk")
        .values_list("action", "target_id")
    ) == [
        ("vocabulary.add", str(entry.pk)),
        ("vocabulary.deactivate", str(entry.pk)),
        ("vocabulary.add", str(again.pk)),
    ]


def test_operators_remove_entries_of_their_own_regions_only(world):
    entry = vocabulary.add_entry(world.ruian_operator, Kind.TERM, "电控气源")
    with pytest.raises(PermissionDenied):
        vocabulary.deactivate(world.jiading_operator, entry.pk)
    assert VocabularyEntry.objects.get(pk=entry.pk).active
    # Wenzhou is the city above Ruian: its operator may.
    assert not vocabulary.deactivate(world.wenzhou_operator, entry.pk).active


def test_only_operators_may_change_the_vocabulary(world):
    with pytest.raises(PermissionDenied):
        vocabulary.add_entry(world.member_a, Kind.TERM, "电控气源")
    with pytest.raises(PermissionDenied):
        vocabulary.add_entries(world.member_a, Kind.TERM, [(1, "电控气源")])
    assert not VocabularyEntry.objects.exists()


# --- bulk addition ---------------------------------------------------------------------------------------


def test_a_gbk_file_with_one_bad_line_writes_nothing_and_reports_the_line(client, operator):
    data = "# 领域词\n电控气源\n集成式气源\n\n柔性 夹爪\n電控氣源\n".encode("gbk")
    client.force_login(operator)
    response = client.post(
        f"{PAGE}bulk/",
        {"kind": "term", "words": "", "file": SimpleUploadedFile("words.txt", data)},
    )
    assert response.status_code == 400
    errors = response.context["bulk_errors"]
    assert [(e.line, e.text) for e in errors] == [(5, "柔性 夹爪"), (6, "電控氣源")]
    assert "空格或分隔符" in errors[0].message
    assert errors[1].message == "与第 2 行重复"
    assert "未添加任何词语" in response.content.decode()
    assert not VocabularyEntry.objects.exists()
    assert not IndexRebuild.objects.exists()


def test_a_utf8_csv_with_bom_adds_every_line(client, operator):
    data = '\ufeff"电动汽车,新能源汽车"\n锂电池,锂离子电池\n涂装 喷涂\n'.encode()
    client.force_login(operator)
    response = client.post(
        f"{PAGE}bulk/",
        {"kind": "synonym", "note": "产业链", "file": SimpleUploadedFile("groups.csv", data)},
    )
    assert response.status_code == 302
    assert sorted(VocabularyEntry.objects.values_list("text", "note")) == [
        ("涂装,喷涂", "产业链"),
        ("电动汽车,新能源汽车", "产业链"),
        ("锂电池,锂离子电池", "产业链"),
    ]
    assert AuditEntry.objects.filter(action="vocabulary.add").count() == 3


def test_a_list_is_pasted_or_uploaded_not_both(client, operator):
    client.force_login(operator)
    upload = SimpleUploadedFile("words.txt", "电控气源\n".encode())
    response = client.post(f"{PAGE}bulk/", {"kind": "term", "words": "集成式气源", "file": upload})
    assert response.status_code == 400
    assert "二者选一" in response.content.decode()
    assert (
        client.post(f"{PAGE}bulk/", {"kind": "term", "words": "集成式气源\n电控气源"}).status_code
        == 302
    )
    assert sorted(VocabularyEntry.objects.values_list("text", flat=True)) == [
        "电控气源",
        "集成式气源",
    ]


def test_a_pasted_list_duplicating_an_active_entry_is_refused(operator, admin):
    vocabulary.add_entry(admin, Kind.STOPWORD, "本发明")
    result = vocabulary.add_entries(
        admin, Kind.STOPWORD, vocabulary.read_word_list("所述\n本發明\n")
    )
    assert not result.ok and result.entries == []
    assert [(e.line, e.message) for e in result.errors] == [(2, "已有相同的有效条目")]
    assert VocabularyEntry.objects.count() == 1


def test_an_empty_list_is_refused(operator):
    result = vocabulary.add_entries(operator, Kind.TERM, vocabulary.read_word_list("# 只有注释\n"))
    assert [(e.line, e.message) for e in result.errors] == [(None, "没有找到任何词语")]


# --- permissions: page and API --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status", [("member_a", 403), ("outsider", 403), ("ruian_operator", 200), ("admin", 200)]
)
def test_the_page_is_for_operators(client, world, who, status):
    user = (
        person("admin", is_superuser=True, is_staff=True) if who == "admin" else getattr(world, who)
    )
    client.force_login(user)
    for url in (PAGE, f"{PAGE}rebuild/", f"{PAGE}analyze/?text=电动汽车"):
        assert client.get(url).status_code == status
    response = client.post(f"{PAGE}add/", {"kind": "term", "text": "电控气源"})
    assert response.status_code == (302 if status == 200 else 403)
    assert VocabularyEntry.objects.exists() == (status == 200)


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in (PAGE, f"{PAGE}rebuild/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"{PAGE}add/", {"kind": "term", "text": "电控气源"}).status_code == 302
    assert not VocabularyEntry.objects.exists()


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    "who, status", [("anonymous", 401), ("member_a", 403), ("ruian_operator", 200), ("admin", 200)]
)
def test_the_api_is_for_operators(client, world, who, status):
    entry = vocabulary.add_entry(world.ruian_operator, Kind.TERM, "电控气源")
    if who == "admin":
        client.force_login(person("admin", is_superuser=True, is_staff=True))
    elif who != "anonymous":
        client.force_login(getattr(world, who))
    assert client.get(API).status_code == status
    assert client.get(f"{API}rebuild").status_code == (204 if status == 200 else status)
    assert post(client, f"{API}analyze", {"text": "电控气源"}).status_code == status
    added = post(client, API, {"kind": "synonym", "text": "涂装,喷涂"})
    assert added.status_code == (201 if status == 200 else status)
    removed = post(client, f"{API}{entry.pk}/deactivate", {})
    assert removed.status_code == status
    assert VocabularyEntry.objects.get(pk=entry.pk).active == (status != 200)


def test_the_api_lists_adds_refuses_and_analyzes(client, world):
    client.force_login(world.ruian_operator)
    created = post(client, API, {"kind": "synonym", "text": "塗裝 噴塗", "note": "表面处理"})
    assert created.status_code == 201
    body = created.json()
    assert (body["text"], body["terms"], body["region"]) == (
        "涂装,喷涂",
        ["涂装", "喷涂"],
        "330381",
    )
    assert body["created_by"] == "ruian_op"
    refused = post(client, API, {"kind": "synonym", "text": "涂装"})
    assert refused.status_code == 422 and "至少要有两个不同的词" in refused.json()["detail"]
    assert post(client, API, {"kind": "synonym", "text": "喷涂 涂装"}).status_code == 422
    listed = client.get(f"{API}?kind=synonym&q=塗裝").json()
    assert [entry["id"] for entry in listed] == [body["id"]]

    analysis = post(client, f"{API}analyze", {"text": "汽车涂装"}).json()
    assert analysis["tokens"] == ["汽车", "涂装"]
    assert {"term": "喷涂", "weight": 0.6, "synonym": True} in analysis["query_terms"]
    assert analysis["expansions"] == [{"term": "涂装", "synonyms": ["喷涂"]}]

    client.force_login(world.jiading_operator)
    assert post(client, f"{API}{body['id']}/deactivate", {}).status_code == 403
    client.force_login(world.ruian_operator)
    assert post(client, f"{API}{body['id']}/deactivate", {}).json()["active"] is False
    assert post(client, f"{API}{body['id']}/deactivate", {}).status_code == 409
    assert post(client, f"{API}999999/deactivate", {}).status_code == 404
    assert client.get(f"{API}?kind=synonym").json() == []
    assert len(client.get(f"{API}?kind=synonym&active=false").json()) == 1


def test_malformed_api_input_is_refused_without_a_server_error(client, operator):
    client.force_login(operator)
    bodies = [None, [], "x", {}, {"kind": "other", "text": "电控气源"}, {"kind": "term"}]
    bodies += [{"kind": "term", "text": bad} for bad in ("\x00", "字" * 5000, 1, None, ["电控"])]
    bodies += [{"kind": "synonym", "text": "，、 ;"}, {"kind": "synonym", "text": "甲 " * 500}]
    for body in bodies:
        assert post(client, API, body).status_code in {400, 422}, body
        assert post(client, f"{API}analyze", body).status_code < 500, body
    for query in ("?q=%00", "?page=0", "?page_size=1000", "?kind=other", "?active=maybe"):
        assert client.get(f"{API}{query}").status_code == 422, query
    assert client.get(f"{API}?page=100000").json() == []
    assert not VocabularyEntry.objects.exists()


# --- the page ----------------------------------------------------------------------------------------------


def test_the_page_lists_searches_and_pages_one_kind(
    client, operator, django_assert_max_num_queries, admin
):
    vocabulary.add_entries(
        operator, Kind.TERM, [(n, f"领域词{n:03d}") for n in range(1, 61)], note="批量"
    )
    vocabulary.add_entry(admin, Kind.STOPWORD, "本发明")
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        response = client.get(f"{PAGE}?kind=term")
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list)) == (60, 50)
    assert "本发明" not in response.content.decode()
    second = client.get(f"{PAGE}?kind=term&page=2").context["page"]
    assert len(second.object_list) == 10
    found = client.get(f"{PAGE}?kind=term&q=領域詞059").context["page"]
    assert [entry.text for entry in found] == ["领域词059"]


def test_a_refused_entry_shows_the_reason_in_chinese(client, operator):
    client.force_login(operator)
    response = client.post(f"{PAGE}add/", {"kind": "synonym", "text": "电动汽车"})
    assert response.status_code == 400
    assert "同义词组至少要有两个不同的词" in response.content.decode()
    assert not VocabularyEntry.objects.exists()


def test_removed_entries_are_listed_on_request(client, operator):
    entry = vocabulary.add_entry(operator, Kind.TERM, "电控气源")
    client.force_login(operator)
    assert client.post(f"{PAGE}{entry.pk}/deactivate/", {"kind": "term"}).status_code == 302
    assert list(client.get(f"{PAGE}?kind=term").context["page"]) == []
    shown = client.get(f"{PAGE}?kind=term&inactive=1")
    assert list(shown.context["page"]) == [VocabularyEntry.objects.get(pk=entry.pk)]
    assert "已删除" in shown.content.decode()


def test_trying_a_text_shows_its_tokens_and_synonyms(client, operator):
    vocabulary.add_entry(operator, Kind.SYNONYM, "涂装,喷涂")
    client.force_login(operator)
    response = client.get(f"{PAGE}analyze/", {"text": "汽車塗裝"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.templates[0].name == "search/vocabulary/_analysis.html"
    assert '<span class="badge">汽车</span> <span class="badge">涂装</span>' in html
    assert "涂装 → 喷涂" in html


# --- the effect on search --------------------------------------------------------------------------------


def test_a_synonym_group_finds_the_other_term_in_every_process_without_restart(
    operator, commit, monkeypatch, django_capture_on_commit_callbacks
):
    with commit():
        achievement = AchievementFactory(title="汽车零部件喷涂工艺", description="")
    assert indexing.search("涂装") == []
    # Another process: the change commits there, this process's backend is not told about it...
    with django_capture_on_commit_callbacks(execute=False):
        vocabulary.add_entry(operator, Kind.SYNONYM, "涂装,喷涂")
    # ...and notices the newer vocabulary at its next check.
    monkeypatch.setattr(indexing, "VOCABULARY_CHECK_SECONDS", 0)
    assert ids(indexing.search("涂装")) == [f"achievement:{achievement.pk}"]


def test_a_process_keeps_its_backend_until_the_vocabulary_changes(operator, monkeypatch):
    monkeypatch.setattr(indexing, "VOCABULARY_CHECK_SECONDS", 0)
    backend = indexing.get_backend()
    assert indexing.get_backend() is backend
    VocabularyEntry.objects.create(kind=Kind.STOPWORD, text="所述", key="所述")
    assert indexing.get_backend() is not backend


def test_a_new_domain_word_is_kept_whole_and_ranks_first_after_the_rebuild(operator, commit):
    with commit():
        whole = AchievementFactory(title="气动抓取装置", description="采用柔性夹爪抓取易碎工件。")
        AchievementFactory(
            title="柔性夹具", description="柔性制造单元的柔性夹具,配合机械爪与夹钳,柔性装夹。"
        )
    indexing.rebuild_all()
    assert "柔性夹爪" not in indexing.current_analyzer().tokens("柔性夹爪")

    with commit():
        vocabulary.add_entry(operator, Kind.TERM, "柔性夹爪")

    rebuild = IndexRebuild.objects.get()
    assert rebuild.status == IndexRebuild.Status.DONE
    assert rebuild.done == rebuild.total == indexing.get_backend().count() >= 2
    assert rebuild.requested_by == operator and rebuild.finished_at is not None
    assert "柔性夹爪" in indexing.current_analyzer().tokens("采用柔性夹爪抓取")
    assert ids(indexing.search("柔性夹爪"))[0] == f"achievement:{whole.pk}"


def test_a_stop_word_stops_matching(operator, commit, admin):
    with commit():
        achievement = AchievementFactory(title="蜂窝陶瓷载体", description="")
    assert ids(indexing.search("载体")) == [f"achievement:{achievement.pk}"]
    with commit():
        vocabulary.add_entry(admin, Kind.STOPWORD, "载体")
    assert indexing.search("载体") == []
    assert ids(indexing.search("蜂窝陶瓷载体")) == [f"achievement:{achievement.pk}"]
    assert not IndexRebuild.objects.exists()  # stop words apply to queries at once


def test_a_burst_of_changes_queues_one_rebuild(operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = vocabulary.request_rebuild(operator)
        second = vocabulary.request_rebuild(operator)
    assert first.pk == second.pk and len(enqueued) == 1
    assert IndexRebuild.objects.get().status == IndexRebuild.Status.QUEUED
    enqueued[0]()
    assert IndexRebuild.objects.get().status == IndexRebuild.Status.DONE
    assert vocabulary.run_rebuild(first.pk) == 0  # a rebuild runs once
    assert vocabulary.request_rebuild(operator).pk != first.pk  # the next change queues a new one


def test_the_rebuild_status_polls_until_it_is_finished(client, operator):
    client.force_login(operator)
    IndexRebuild.objects.create(status=IndexRebuild.Status.RUNNING, done=40, total=100)
    running = client.get(f"{PAGE}rebuild/").content.decode()
    assert 'hx-trigger="every 1s"' in running and "40 / 100" in running
    IndexRebuild.objects.update(status=IndexRebuild.Status.DONE, done=100)
    finished = client.get(f"{PAGE}rebuild/").content.decode()
    assert "hx-trigger" not in finished and "重建完成" in finished


def test_the_page_and_its_errors_speak_english_on_request(client, operator):
    client.force_login(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": PAGE})
    response = client.post(f"{PAGE}add/", {"kind": "synonym", "text": "电动汽车"})
    html = response.content.decode()
    assert "<h1>Search vocabulary</h1>" in html
    assert "A synonym group needs at least two different terms" in html
    assert "同义词组至少要有两个不同的词" not in html


# --- industry chains' keywords are dictionary words too ---------------------------------------------------


def test_editing_a_chains_keywords_in_the_admin_reloads_every_process_and_rebuilds(
    client, commit, monkeypatch
):
    from kechuang.core.models import IndustryChain

    with commit():
        chain = IndustryChain.objects.create(name="智能装备", slug="smart-equipment")
        whole = AchievementFactory(title="气动抓取装置", description="采用柔性夹爪抓取易碎工件。")
    indexing.rebuild_all()
    monkeypatch.setattr(indexing, "VOCABULARY_CHECK_SECONDS", 0)
    backend = indexing.get_backend()
    assert "柔性夹爪" not in indexing.current_analyzer().tokens("柔性夹爪")

    client.force_login(person("chain-admin", is_superuser=True, is_staff=True))
    with commit():
        response = client.post(
            f"/admin/core/industrychain/{chain.pk}/change/",
            {"name": chain.name, "slug": chain.slug, "description": "", "keywords": "柔性夹爪"},
        )
    assert response.status_code == 302, response.content.decode()[:500]

    assert indexing.get_backend() is not backend  # the stamp saw the chain change
    assert "柔性夹爪" in indexing.current_analyzer().tokens("采用柔性夹爪抓取")
    assert IndexRebuild.objects.get().status == IndexRebuild.Status.DONE
    assert ids(indexing.search("柔性夹爪"))[0] == f"achievement:{whole.pk}"


def test_saving_a_chain_without_changing_its_words_queues_no_rebuild(client, commit):
    from kechuang.core.models import IndustryChain

    chain = IndustryChain.objects.create(name="智能装备", slug="smart-equipment", keywords="机器人")
    client.force_login(person("chain-admin", is_superuser=True, is_staff=True))
    with commit():
        client.post(
            f"/admin/core/industrychain/{chain.pk}/change/",
            {"name": chain.name, "slug": chain.slug, "description": "新说明", "keywords": "机器人"},
        )
    assert IndustryChain.objects.get().description == "新说明"
    assert not IndexRebuild.objects.exists()


def test_the_api_answers_errors_in_one_body(client, world):
    entry = vocabulary.add_entry(world.ruian_operator, Kind.TERM, "电控气源")
    client.force_login(world.jiading_operator)
    forbidden = post(client, f"{API}{entry.pk}/deactivate", {})
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "code": "forbidden",
        "detail": "只能删除自己或本区域运营人员添加的条目",
        "errors": [],
    }
    assert VocabularyEntry.objects.get(pk=entry.pk).active

    client.force_login(world.ruian_operator)
    assert post(client, f"{API}{entry.pk}/deactivate", {}).status_code == 200
    removed = VocabularyEntry.objects.get(pk=entry.pk)
    audits = AuditEntry.objects.count()
    refused = post(client, f"{API}{entry.pk}/deactivate", {})
    assert refused.status_code == 409
    assert refused.json() == {"code": "removed", "detail": "该条目已删除", "errors": []}
    again = VocabularyEntry.objects.get(pk=entry.pk)
    assert (again.deactivated_at, again.deactivated_by) == (
        removed.deactivated_at,
        removed.deactivated_by,
    )
    assert AuditEntry.objects.count() == audits

    invalid = post(client, API, {"kind": "synonym", "text": "涂装"})
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["code"] == "invalid" and "至少要有两个不同的词" in body["detail"]
    assert [error["msg"] for error in body["errors"]] == body["detail"].split("；")
    assert VocabularyEntry.objects.count() == 1


# --- platform-wide entries ---------------------------------------------------------------------------


def test_a_regions_operator_cannot_add_or_remove_a_platform_wide_stop_word(world, admin, client):
    """A stop word empties every region's search for that word: one region's operator may neither add
    one (service, page, API) nor remove one; a platform operator may; every operator sees who did it."""
    with pytest.raises(PermissionDenied, match="平台管理员"):
        vocabulary.add_entry(world.ruian_operator, Kind.STOPWORD, "制动")
    result_refused = pytest.raises(PermissionDenied)
    with result_refused:
        vocabulary.add_entries(world.ruian_operator, Kind.STOPWORD, [(1, "制动")])
    client.force_login(world.ruian_operator)
    page = client.post(f"{PAGE}add/", {"kind": "stopword", "text": "制动", "note": ""})
    assert page.status_code == 403
    api = client.post(API, {"kind": "stopword", "text": "制动"}, content_type="application/json")
    assert api.status_code == 403 and "平台管理员" in api.json()["detail"]
    assert not VocabularyEntry.objects.exists()

    entry = vocabulary.add_entry(admin, Kind.STOPWORD, "制动", note="全平台")
    with pytest.raises(PermissionDenied):
        vocabulary.deactivate(world.ruian_operator, entry.pk)
    entry.refresh_from_db()
    assert entry.active

    client.force_login(world.jiading_operator)
    listing = client.get(f"{PAGE}?kind=stopword").content.decode()
    assert "制动" in listing and 'id="platform-only"' in listing
    assert 'id="entry-form"' not in listing and 'id="bulk-form"' not in listing
    assert "platform_admin" in listing or str(admin) in listing
    assert f"{entry.pk}/deactivate" not in listing
    vocabulary.deactivate(admin, entry.pk)
    assert not VocabularyEntry.objects.get(pk=entry.pk).active


def test_a_regions_operator_keeps_adding_domain_terms_and_synonyms(world):
    assert vocabulary.add_entry(world.jiading_operator, Kind.TERM, "集成式电控气源").active
    assert vocabulary.add_entry(world.jiading_operator, Kind.SYNONYM, "电动汽车,新能源汽车").active
