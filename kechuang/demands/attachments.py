"""Checking uploaded attachments by their content: the checker lives in :mod:`kechuang.core.uploads`
(shared with contracts and auctions); kept here under its old name for the demands app."""

from kechuang.core.uploads import ALLOWED_EXTENSIONS, check_attachment

__all__ = ["ALLOWED_EXTENSIONS", "check_attachment"]
