"""The ``kechuang`` command.

``kechuang demo`` prepares and serves the demo region, ``kechuang bench NAME`` runs a benchmark
(``bench_NAME`` management command) and any other word is passed to Django's ``manage.py``, so
``kechuang migrate`` and ``kechuang createsuperuser`` work too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        print(
            "\nBenchmarks: kechuang bench matching | directory | demands | ledger …  (kechuang bench NAME --help)"
        )
        return
    if argv[0] == "bench":
        if len(argv) < 2 or argv[1].startswith("-"):
            sys.exit("usage: kechuang bench NAME [options]   (e.g. kechuang bench matching --help)")
        argv = [f"bench_{argv[1]}", *argv[2:]]
    try:
        execute_from_command_line(["kechuang", *argv])
    except KeyboardInterrupt:
        # Ctrl+C while a command works (the demo migrating, loading, indexing): a line, not a traceback.
        print("\n已中断 / interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
