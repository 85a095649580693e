"""Shared pytest set-up: browser tests skip where Debian's Chromium is absent unless CI requires it."""
