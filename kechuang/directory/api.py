"""Directory API: published records, searchable and filterable."""

from ninja import Router

router = Router(tags=["directory"])
