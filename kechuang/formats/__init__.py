"""One date format per language (``FORMAT_MODULE_PATH``): days in running text as ``2026年12月5日``,
moments in tables as ``2026-12-05 14:30``; templates use ``|local_date`` and ``|local_time``, which show
Asia/Shanghai time whatever the active zone."""
