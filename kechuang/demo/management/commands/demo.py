"""``kechuang demo``: prepare the demo region and serve it.

On a fresh clone this migrates the embedded database, loads the demo federation, builds the search index,
prints the demo log-ins, starts two background task workers (one for the embedding, one for all other
work) and the clock that runs the periodic jobs, and serves on http://127.0.0.1:8000 (granian's
WSGI server; Django's runserver only if granian cannot be used). A second run keeps the data and skips
the load. ``--no-serve`` prepares only; ``--scale N`` multiplies the generated records; ``--reset`` wipes
the database and index first.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.urls import reverse
from django.utils.translation import gettext as _
from tqdm import tqdm

from kechuang.core.lifeline import parent_environment
from kechuang.core.queues import EMBEDDING_QUEUE
from kechuang.demo.accounts import DEMO_PASSWORD, demo_logins
from kechuang.demo.generator import (
    DemoAlreadyLoaded,
    DemoCounts,
    DemoResult,
    Progress,
    demo_marker,
    load_demo,
)
from kechuang.search import indexing
from kechuang.search.tasks import embed_pending, has_encoder

SERVER_THREADS = 2
DATABASE_WORKER = "django_tasks_db.DatabaseBackend"
WORKER_GRACE_SECONDS = 5


@dataclass(frozen=True)
class DemoWorker:
    """One ``kechuang worker`` of the demo: the queues it takes (``*`` for all) and those it leaves. A
    background worker (the embedding) runs at a lower priority and leaves a core to the server: the
    encoder's OpenMP threads would otherwise take every core, and their busy waiting slows the pages."""

    queues: str
    exclude: str = ""
    background: bool = False

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "kechuang.cli", "worker", "--queue-name", self.queues]
        if self.exclude:
            command += ["--exclude-queues", self.exclude]
        command.append("--no-reload")
        nice = shutil.which("nice")
        if self.background and nice:
            command = [nice, "-n", str(BACKGROUND_NICENESS), *command]
        return command

    def environment(
        self, environ: Mapping[str, str] = os.environ, threads: str | None = None
    ) -> dict[str, str]:
        """``environ`` for the worker; the background one gets ``threads`` encoder threads (by
        default all cores but one)."""
        env = parent_environment(dict(environ))  # ends with the demo, however the demo ends
        if self.background:
            env["OMP_NUM_THREADS"] = threads or str(max(1, (os.cpu_count() or 1) - 1))
            env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return env


BACKGROUND_NICENESS = 10
# The embedding alone in one worker, everything else in the other (see kechuang.core.queues).
DEMO_WORKERS = [
    DemoWorker(EMBEDDING_QUEUE, background=True),
    DemoWorker("*", exclude=EMBEDDING_QUEUE),
]
# The periodic jobs (kechuang.core.clock), quiet in the demo's terminal: a failure is still logged.
CLOCK_COMMAND = [sys.executable, "-m", "kechuang.cli", "clock", "--verbosity", "0"]


class Command(BaseCommand):
    encoder_threads: str | None = None  # OMP_NUM_THREADS as the user set it
    help = "准备演示区域(迁移、加载演示数据、建立检索索引)并启动服务 / Prepare and serve the demo region"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000, help=_("监听端口（默认 8000）"))
        parser.add_argument(
            "--scale", type=int, default=1, help=_("演示数据倍数（默认 1；基准测试用 235 左右）")
        )
        parser.add_argument(
            "--no-serve", action="store_true", help=_("只准备数据与索引，不启动服务")
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("先清空 var/（数据库、索引、上传文件）再重新加载"),
        )

    def handle(self, *, port: int, scale: int, no_serve: bool, reset: bool, **options) -> None:
        if scale < 1:
            raise CommandError(_("--scale 必须是正整数"))
        started = time.monotonic()
        self.encoder_threads = os.environ.get("OMP_NUM_THREADS")  # the user's choice, if any
        if not no_serve:
            # One encoder thread in this process and the server forked from it (set before the
            # encoder loads): a query takes milliseconds more on an idle machine, and seconds less
            # beside the embedding worker (an OpenMP pool's threads wait on each other when another
            # process holds a core).
            os.environ.setdefault("OMP_NUM_THREADS", "1")
        if reset:
            self.reset()
        self.step(_("迁移数据库"))
        call_command("migrate", interactive=False, verbosity=0)
        created = self.load(scale)
        self.build_index(rebuild=created)
        self.print_logins()
        self.stdout.write(_("准备完成，用时 %(s).1f 秒。") % {"s": time.monotonic() - started})
        if not no_serve:
            self.serve(port)

    def step(self, message: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"» {message}"))

    # --- preparing --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Wipe the embedded database, the search index and uploads; flush a server database."""
        self.step(_("清空演示数据"))
        database = settings.DATABASES["default"]
        connections.close_all()
        if database["ENGINE"] == "django.db.backends.sqlite3":
            db_file = Path(database["NAME"])
            for path in (
                db_file,
                db_file.with_name(db_file.name + "-wal"),
                db_file.with_name(db_file.name + "-shm"),
            ):
                path.unlink(missing_ok=True)
        else:
            call_command("flush", interactive=False, verbosity=0)
        for folder in (Path(settings.MATCHING["INDEX_DIR"]), Path(settings.MEDIA_ROOT)):
            shutil.rmtree(folder, ignore_errors=True)
        indexing.reset_backend()

    def load(self, scale: int) -> bool:
        """Load the demo unless it is there; returns whether it was loaded now."""
        if demo_marker() is None:
            self.step(_("生成演示数据（规模 %(n)s）") % {"n": scale})
            total = DemoCounts.for_scale(scale).records
            with tqdm(total=total, unit=_("条"), file=sys.stdout, disable=None) as bar:
                return self.load_or_explain(scale, bar.update).created
        self.load_or_explain(scale)  # writes nothing when the same scale is loaded
        self.step(_("演示数据已加载（规模 %(n)s），跳过生成") % {"n": scale})
        return False

    def load_or_explain(self, scale: int, progress: Progress | None = None) -> DemoResult:
        try:
            return load_demo(scale=scale, progress=progress)
        except DemoAlreadyLoaded as exc:
            raise CommandError(
                _(
                    "数据库中已有规模为 %(old)s 的演示数据，与 --scale %(new)s 不同。"
                    "请加 --reset 清空后重新加载（kechuang demo --reset --scale %(new)s），"
                    "或改用 --scale %(old)s 沿用现有数据。"
                )
                % {"old": exc.scale, "new": scale}
            ) from exc

    def build_index(self, *, rebuild: bool) -> None:
        """Rebuild the search index after a load or when it is missing; embeddings follow in the worker."""
        backend = indexing.get_backend()
        exists = getattr(backend, "exists", None)
        if not rebuild and exists is not None and exists():
            self.step(_("检索索引已存在，跳过重建"))
        else:
            self.rebuild_index()
        if has_encoder():
            # Also after a restart: a worker stopped mid-way leaves vectors to finish (a no-op if none).
            embed_pending.enqueue()
            self.stdout.write(_("语义向量由后台任务逐步计算，完成前检索使用关键词匹配。"))

    def rebuild_index(self) -> None:
        self.step(_("建立检索索引"))
        with tqdm(unit=_("条"), file=sys.stdout, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            indexed = indexing.rebuild_all(progress=progress)
        self.stdout.write(_("已索引 %(n)d 条记录。") % {"n": indexed})

    def print_logins(self) -> None:
        logins = demo_logins()
        rows = [(_("用户名"), _("角色"), _("说明"))] + [
            (x.username, x.role, x.detail) for x in logins
        ]
        widths = [max(display_width(row[i]) for row in rows) for i in range(2)]
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(_("演示账号（密码均为 %(p)s）：") % {"p": DEMO_PASSWORD})
        )
        for i, (username, role, detail) in enumerate(rows):
            line = f"  {pad(username, widths[0])}  {pad(role, widths[1])}  {detail}"
            self.stdout.write(self.style.MIGRATE_LABEL(line) if i == 0 else line)
        self.stdout.write("")

    # --- serving ----------------------------------------------------------------------------------

    def serve(self, port: int) -> None:
        """Serve until interrupted, with a task worker as a child process that stops with the server."""
        url = use_site_url(port)
        workers = self.start_workers()
        self.stdout.write(
            self.style.SUCCESS(_("访问 http://127.0.0.1:%(port)d/（Ctrl+C 停止）") % {"port": port})
        )
        if settings.EMAIL_BACKEND == settings.MAILBOX_BACKEND:
            self.stdout.write(
                _("演示中发出的邮件不真正发送，管理员和运营人员可在 %(url)s 查看。")
                % {"url": url.rstrip("/") + reverse("notifications:mailbox")}
            )
        if has_encoder():
            self.stdout.write(
                _("语义向量的计算进度：%(url)s")
                % {"url": url.rstrip("/") + reverse("search_index:status")}
            )
        try:
            try:
                from granian import Granian
                from granian.constants import Interfaces
                from granian.log import LogLevels
            except ImportError:
                self.stdout.write(_("granian 不可用，改用 Django 开发服务器。"))
                call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
            else:
                connections.close_all()  # granian's worker process opens its own
                Granian(
                    "kechuang.wsgi:application",
                    address="127.0.0.1",
                    port=port,
                    interface=Interfaces.WSGI,
                    # Its start-up lines are English and say nothing the line above does not.
                    log_level=LogLevels.warning,
                    workers=1,
                    blocking_threads=SERVER_THREADS,
                    # Ctrl+C reaches granian's worker as well as granian; a worker caught stopping
                    # twice can hang, so it is killed if it has not stopped after a few seconds.
                    workers_kill_timeout=5,
                    working_dir=Path(settings.BASE_DIR),
                ).serve()
        finally:
            if workers:
                self.stdout.write(_("正在停止后台任务进程……"))
                if not all([stop_worker(worker) for worker in workers]):
                    self.stdout.write(_("未完成的后台任务（如语义向量计算）将在下次启动时继续。"))
            self.stdout.write(_("演示已停止。"))

    def start_workers(self) -> list[subprocess.Popen]:
        """When tasks go through the database, one ``kechuang worker`` per entry of :data:`DEMO_WORKERS`, so
        that notifications, import checks and index updates never wait behind the embedding (RQ runs
        its own workers); and the clock, ``kechuang clock``."""
        self.step(_("启动后台任务进程"))
        workers = DEMO_WORKERS if settings.TASKS["default"]["BACKEND"] == DATABASE_WORKER else []
        # In a process group of its own, Ctrl+C in the terminal reaches only the server: the worker is
        # stopped by stop_worker, once (a second signal would make it exit from inside its task, which
        # then fails with a SystemExit traceback). The clock (periodic jobs) runs whatever the backend.
        return [
            *(
                subprocess.Popen(
                    worker.command(),
                    cwd=settings.BASE_DIR,
                    process_group=0,
                    env=worker.environment(threads=self.encoder_threads),
                )
                for worker in workers
            ),
            subprocess.Popen(
                CLOCK_COMMAND,
                cwd=settings.BASE_DIR,
                process_group=0,
                env=parent_environment(dict(os.environ)),
            ),
        ]


def use_site_url(port: int, environ: MutableMapping[str, str] = os.environ) -> str:
    """Make e-mail links point at this demo (``http://127.0.0.1:PORT``) unless ``SITE_URL`` is set in the
    environment, which is kept (a production or proxied address). It goes into the environment as well
    as the settings: the task worker that sends the e-mails reads its settings afresh."""
    url = environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    settings.SITE_URL = url
    return url


def stop_worker(worker: subprocess.Popen, grace: float = WORKER_GRACE_SECONDS) -> bool:
    """Stop the task worker; returns whether it finished by itself. SIGTERM lets it end its current task;
    a task still running after ``grace`` seconds (a long embedding, say) is abandoned with SIGKILL, and so
    it is at once on a further Ctrl+C. Abandoning is safe: the index marks vectors ready only after
    writing them, a database transaction cut short rolls back, and the next start queues the embedding
    again."""
    if worker.poll() is not None:
        return True
    worker.terminate()
    try:
        worker.wait(timeout=grace)
        return True
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        worker.kill()
        worker.wait()
        return False


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
