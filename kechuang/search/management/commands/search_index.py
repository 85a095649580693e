"""``kechuang search_index rebuild|status|embed``: rebuild the search index from the database (with a
progress bar), show what it holds, or encode pending dense vectors now."""

import json

from django.core.management.base import BaseCommand
from tqdm import tqdm

from kechuang.search import indexing


class Command(BaseCommand):
    help = "Rebuild the search index, show its status, or encode pending dense vectors."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "status", "embed"])
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, action, no_progress, **options):
        if action == "rebuild":
            bar = tqdm(total=0, unit="doc", disable=no_progress, file=self.stderr._out)

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            count = indexing.rebuild_all(progress=progress)
            bar.close()
            self.stdout.write(f"indexed {count} documents")
        elif action == "embed":
            self.stdout.write(f"encoded {indexing.embed_pending()} documents")
        else:
            backend = indexing.get_backend()
            status = getattr(backend, "status", None)
            figures = status() if status else {"documents": backend.count()}
            figures["registered"] = {
                name: reg.queryset().count() for name, reg in indexing.registrations().items()
            }
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
