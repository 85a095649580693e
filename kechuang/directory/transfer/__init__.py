"""Import and export of the resource directory (资源库) as Excel (.xlsx) and CSV.

- :mod:`.specs` — the columns of each record type's sheet and their natural keys;
- :mod:`.cells` — reading single cells (amounts, yes/no, lists);
- :mod:`.readers` — reading uploads (.xlsx with merged headers, CSV in UTF-8/GBK/GB18030);
- :mod:`.importer` — the all-or-nothing import service and its row-level report;
- :mod:`.exporter` — exports and blank templates;
- :mod:`.tasks` — running an import in the background with progress for the page to poll.
"""
