"""Configuration from the environment (and a `.env` file when present)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def load_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the env, or one generated once into instance/secret_key."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


DEFAULT_BASE_URL = "http://127.0.0.1:5000"
# PUBLIC_BASE_URL unset: the address the app was last served at, so links made with no request at hand
# (a notice the worker sends, `flask demo`, a Celery worker on the same instance folder) follow it.
SERVED_BASE_FILE = "served_base_url"


def recorded_base_url(instance_path: str) -> str | None:
    try:
        value = (Path(instance_path) / SERVED_BASE_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value.rstrip("/") if value.startswith(("http://", "https://")) and len(value) < 300 else None


def record_base_url(instance_path: str, url: str) -> None:
    path = Path(instance_path) / SERVED_BASE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(url + "\n", encoding="utf-8")
    tmp.replace(path)


def config_from_env(instance_path: str) -> dict:
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'statuspage.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    broker = env.get("CELERY_BROKER_URL") or None
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "PUBLIC_BASE_URL": (env.get("PUBLIC_BASE_URL") or recorded_base_url(instance_path) or DEFAULT_BASE_URL).rstrip("/"),
        "PUBLIC_BASE_URL_CONFIGURED": bool(env.get("PUBLIC_BASE_URL")),
        "SITE_NAME": env.get("SITE_NAME") or "Status",
        "SITE_TIME_ZONE": env.get("SITE_TIME_ZONE") or "UTC",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": env.get("REDIS_URL") or (broker if broker and broker.startswith("redis") else None),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(env.get("MAIL_PORT"), 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER") or "status@localhost",
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_FROM": env.get("TWILIO_FROM") or None,
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        "TWILIO_API_BASE": (env.get("TWILIO_API_BASE") or "https://api.twilio.com").rstrip("/"),
        "SMS_RATE_PER_SECOND": _float(env.get("SMS_RATE_PER_SECOND"), 1.0),
        "SMS_VALIDITY_SECONDS": _int(env.get("SMS_VALIDITY_SECONDS"), 7200),
        "SMS_ALLOWED_COUNTRIES": [c.strip().upper() for c in (env.get("SMS_ALLOWED_COUNTRIES") or "US,CA,GB,DE,FR,NL,CN,HK,SG,JP,AU").split(",") if c.strip()],
        "STALE_INCIDENT_MINUTES": _int(env.get("STALE_INCIDENT_MINUTES"), 30),
        "SUBSCRIBE_MIN_RESPONSE_SECONDS": _float(env.get("SUBSCRIBE_MIN_RESPONSE_SECONDS"), 0.3),
        "DELIVERY_RETRY_HORIZON_SECONDS": _int(env.get("DELIVERY_RETRY_HORIZON_SECONDS"), 24 * 3600),
        "PUBLIC_CACHE_MAX_AGE": _int(env.get("PUBLIC_CACHE_MAX_AGE"), 10),
        "EMBEDDED_WORKER": _bool(env.get("EMBEDDED_WORKER"), default=broker is None),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or (
            env.get("REDIS_URL") or (broker if broker and broker.startswith("redis") else None) or "memory://"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE") or "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=(env.get("PUBLIC_BASE_URL") or "").startswith("https://")),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PROXY_FIX": _int(env.get("PROXY_FIX"), 0),
        "MAX_CONTENT_LENGTH": _int(env.get("MAX_CONTENT_LENGTH"), 64 * 1024 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,
        "AUTO_MIGRATE": _bool(env.get("AUTO_MIGRATE"), default=database_url.startswith("sqlite")),
        "SECRET_KEY_FALLBACKS": [k.strip() for k in (env.get("SECRET_KEY_FALLBACKS") or "").split(",") if k.strip()],
        "OUTBOUND_ALLOW_NETWORKS": env.get("OUTBOUND_ALLOW_NETWORKS") or "",
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "ANONYMOUS_MAX_BODY": _int(env.get("ANONYMOUS_MAX_BODY"), 64 * 1024),
        "INTEGRATION_MAX_BODY": _int(env.get("INTEGRATION_MAX_BODY"), 1024 * 1024),
        "MIRROR_DIR": env.get("MIRROR_DIR") or None,
        "MIRROR_S3_BUCKET": env.get("MIRROR_S3_BUCKET") or None,
        "MIRROR_S3_PREFIX": env.get("MIRROR_S3_PREFIX") or "",
        "MIRROR_S3_ENDPOINT_URL": env.get("MIRROR_S3_ENDPOINT_URL") or None,
        "MIRROR_S3_REGION": env.get("MIRROR_S3_REGION") or None,
    }


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # WAL and a busy timeout: readers never block the single writer for long.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_recycle": 1800}


TESTING_OVERRIDES = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "EMBEDDED_WORKER": False,
    "RATELIMIT_ENABLED": False,
    "SUBSCRIBE_MIN_RESPONSE_SECONDS": 0,
    "AUTO_MIGRATE": False,
    "SERVER_NAME": None,
}
