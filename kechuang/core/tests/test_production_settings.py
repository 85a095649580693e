"""Production settings: refuse DEBUG, insist on HTTPS (redirect, HSTS, secure cookies), and pass Django's
own deployment checklist (``manage.py check --deploy``) with nothing to report. Each case starts a fresh
Python process, because settings are read once at start-up."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def production_env(tmp_path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "PYTEST_VERSION",
            "EMAIL_BACKEND",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in this process
        }
    }
    env.update(
        KECHUANG_MODE="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kechuang.example.cn",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        KECHUANG_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="kechuang.settings",
    )
    env.update(extra)
    return env


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run(
        production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_debug(tmp_path):
    for value in ("1", "true", "on"):
        result = run(production_env(tmp_path, DEBUG=value), "manage.py", "check")
        assert result.returncode != 0
        assert "Production mode refuses DEBUG" in result.stderr


def test_production_insists_on_https(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT)"
    )
    result = run(production_env(tmp_path), "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("[")[0].split() == [
        "False",
        "True",
        "31536000",
        "True",
        "True",
        "True",
    ]
    assert "healthz" in result.stdout


def test_production_redirects_http_and_sends_hsts(tmp_path):
    script = (
        "import django; django.setup(); from django.test import Client; "
        "c = Client(); r = c.get('/organizations/', HTTP_HOST='kechuang.example.cn'); "
        "print(r.status_code, r['Location']); "
        "r = c.get('/healthz', HTTP_HOST='kechuang.example.cn', secure=True); "
        "print(r.status_code, r['Strict-Transport-Security']); "
        "r = c.get('/healthz', HTTP_HOST='kechuang.example.cn'); print(r.status_code)"
    )
    env = production_env(tmp_path)
    migrate = run(env, "manage.py", "migrate", "--verbosity", "0")
    assert migrate.returncode == 0, migrate.stderr
    result = run(env, "-c", script)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()[-3:]
    assert lines[0] == "301 https://kechuang.example.cn/organizations/"
    assert lines[1] == "200 max-age=31536000; includeSubDomains; preload"
    assert lines[2] == "200"
