"""Settings declared once: a name, a default, help text and the environment variable.

Every setting Dadkhah reads from the environment is listed in ``SETTINGS``. The Django
settings module and the documentation are both generated from this registry, and a test
fails when a setting is missing from ``docs/reference/settings.md``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SETTINGS", "Setting", "Config", "load"]


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "home", "DADKHAH_HOME", "./var", "Data directory: SQLite database, blobs, keys, task queue."
    ),
    Setting(
        "database_url",
        "DATABASE_URL",
        "",
        "Database URL. Empty means SQLite (WAL) at DADKHAH_HOME/dadkhah.sqlite3; "
        "postgres://user:pass@host:port/name switches to PostgreSQL.",
    ),
    Setting("debug", "DADKHAH_DEBUG", "0", "1 turns on Django debug pages. Never in production."),
    Setting(
        "allowed_hosts",
        "DADKHAH_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1]",
        "Comma-separated host names the site answers to.",
    ),
    Setting(
        "secret_key",
        "DADKHAH_SECRET_KEY",
        "",
        "Django secret key. Empty means: read DADKHAH_HOME/keys/django-secret, creating it once.",
    ),
    Setting(
        "blobs",
        "DADKHAH_BLOBS",
        "",
        "Where evidence originals are stored. Empty means the filesystem under DADKHAH_HOME/blobs; "
        "s3://bucket/prefix switches to S3-compatible object storage (credentials from the usual "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION or ~/.aws files).",
    ),
    Setting(
        "s3_endpoint",
        "DADKHAH_S3_ENDPOINT",
        "",
        "Endpoint URL of the object store when DADKHAH_BLOBS is s3://… (for example a MinIO server). "
        "Empty means the provider's default.",
    ),
    Setting(
        "queue_url",
        "DADKHAH_QUEUE_URL",
        "",
        "Where background tasks (text extraction, indexing, the campaign tally) are queued. "
        "Empty means a SQLite queue under DADKHAH_HOME (one machine); redis://host:port/db (or "
        "rediss://… for TLS, unix:///path/redis.sock?db=N) puts huey's queue on Redis, shared "
        "by every app server and task consumer (`python -m django run_huey`).",
    ),
    Setting(
        "cache_url",
        "DADKHAH_CACHE_URL",
        "",
        "Django's caches. Empty means a cache in each process's memory plus the campaign's "
        "shared cache in files under DADKHAH_HOME/cache (one machine); redis://host:port/db "
        "(rediss://…, unix://…) puts both on Redis, shared by every app server. Use another "
        "Redis database than DADKHAH_QUEUE_URL's.",
    ),
    Setting(
        "names_cache",
        "DADKHAH_NAMES_CACHE",
        "",
        "Directory for the compiled names lexicon (a cache, rebuilt when stale). Unset means "
        "DADKHAH_HOME/cache when DADKHAH_HOME is set, else $XDG_CACHE_HOME/dadkhah or "
        "~/.cache/dadkhah; set but empty "
        "means no file (the lexicon is compiled in memory at each start).",
    ),
    Setting(
        "tile_url",
        "DADKHAH_TILE_URL",
        "",
        "Tile server of the public map, as a Leaflet URL template "
        "(https://tiles.example.org/{z}/{x}/{y}.png). Empty means the bundled offline basemap "
        "only (Natural Earth country and province boundaries): the map then needs no network.",
    ),
    Setting(
        "tile_attribution",
        "DADKHAH_TILE_ATTRIBUTION",
        "",
        "Attribution the tile provider requires, shown on the map when DADKHAH_TILE_URL is set "
        "(plain text).",
    ),
    Setting(
        "font_dir",
        "DADKHAH_FONT_DIR",
        "/usr/share/fonts/truetype/noto",
        "Folder holding the memorial's fonts (Noto Naskh Arabic and Noto Sans, from Debian's "
        "fonts-noto-core); they are served as static files, never copied into the repository.",
    ),
    Setting(
        "pow_max_number",
        "DADKHAH_POW_MAX_NUMBER",
        "100000",
        "Difficulty of the proof-of-work check on public forms (the contribution form): the "
        "visitor's browser tries on average half this many SHA-256 hashes. 100000 takes about "
        "a second on a phone; raise it when automated submissions get through.",
    ),
    Setting(
        "pow_ttl",
        "DADKHAH_POW_TTL",
        "7200",
        "Seconds a proof-of-work check stays valid after the form is opened.",
    ),
    Setting(
        "contribute_max_file_mb",
        "DADKHAH_CONTRIBUTE_MAX_FILE_MB",
        "25",
        "Largest file (in MB) the public contribution form accepts.",
    ),
    Setting(
        "contribute_max_files",
        "DADKHAH_CONTRIBUTE_MAX_FILES",
        "10",
        "Most files one contribution may carry.",
    ),
    Setting(
        "contribute_rate",
        "DADKHAH_CONTRIBUTE_RATE",
        "5/600",
        "Contributions accepted from one network address per window, as COUNT/SECONDS "
        "(a window of one day at most). The address is never stored: only a keyed hash, "
        "deleted when the window ends.",
    ),
    Setting(
        "contact",
        "DADKHAH_CONTACT",
        "",
        "How to reach the organisation without the web form (an email address, a Signal "
        "number…), shown on the contribution form for visitors without JavaScript.",
    ),
    Setting(
        "campaign_confirm_hours",
        "DADKHAH_CAMPAIGN_CONFIRM_HOURS",
        "72",
        "Hours a campaign signer's emailed confirmation link stays valid. Signing again with "
        "the same email sends a fresh link (at most one every 10 minutes, unless the last one "
        "expired).",
    ),
    Setting(
        "campaign_package_days",
        "DADKHAH_CAMPAIGN_PACKAGE_DAYS",
        "7",
        "Days a delivery package made from the web stays downloadable (its zip under "
        "DADKHAH_HOME/campaign-packages); the daily upkeep deletes it afterwards.",
    ),
    Setting(
        "smtp_url",
        "DADKHAH_SMTP_URL",
        "",
        "Where the site sends email (campaign confirmations and notices): smtp://host:port, "
        "smtp+starttls://user:password@host:587 or smtps://user:password@host:465 (user and "
        "password percent-encoded). Empty means the local development sink on "
        "127.0.0.1:DADKHAH_MAILSINK_PORT, which `dadkhah serve` and `dadkhah demo` start and "
        "which keeps every message as a file under DADKHAH_HOME/mail/ (shown at "
        "/campaigns/mailbox/): nothing leaves the machine.",
    ),
    Setting(
        "mailsink_port",
        "DADKHAH_MAILSINK_PORT",
        "8025",
        "Loopback port of the local SMTP sink used when DADKHAH_SMTP_URL is empty.",
    ),
    Setting(
        "mail_from",
        "DADKHAH_MAIL_FROM",
        "Dadkhah <no-reply@localhost>",
        "Sender of the site's emails, as Name <address>.",
    ),
    Setting(
        "site_url",
        "DADKHAH_SITE_URL",
        "http://127.0.0.1:8000",
        "The site's public address, for the absolute links in emails (scheme, host and any "
        "port; no path). `dadkhah serve` and `dadkhah demo` default it to the address they "
        "serve on when it is not set.",
    ),
    Setting(
        "trusted_proxies",
        "DADKHAH_TRUSTED_PROXIES",
        "",
        "Comma-separated networks (CIDR) of the reverse proxies in front of the site. Only "
        "when a request comes from one of them is X-Forwarded-For read (its rightmost address "
        "outside these networks is the visitor's). Empty means the connection's own address.",
    ),
    Setting(
        "campaign_rate_short",
        "DADKHAH_CAMPAIGN_RATE_SHORT",
        "5/60",
        "Signatures accepted from one network address in a short window, as COUNT/SECONDS; "
        "further ones are kept but silently flagged and never counted.",
    ),
    Setting(
        "campaign_rate_long",
        "DADKHAH_CAMPAIGN_RATE_LONG",
        "50/86400",
        "Signatures accepted from one network address in a long window (COUNT/SECONDS, at most "
        "30 days), across all campaigns; further ones are silently flagged.",
    ),
    Setting(
        "campaign_rate_network",
        "DADKHAH_CAMPAIGN_RATE_NETWORK",
        "200/3600",
        "Signatures accepted from one IPv4 /24 or IPv6 /64 network in a window (COUNT/SECONDS, "
        "at most 30 days); further ones are silently flagged.",
    ),
    Setting(
        "https",
        "DADKHAH_HTTPS",
        "0",
        "1 when the site is served over HTTPS by a reverse proxy that sets X-Forwarded-Proto: "
        "plain-HTTP requests are redirected, cookies are sent over HTTPS only and browsers are "
        "told to use HTTPS (HSTS). DADKHAH_SITE_URL must then be the https:// address. 0 (the "
        "default) serves plain HTTP, as `dadkhah demo` does on loopback.",
    ),
    Setting(
        "hsts_seconds",
        "DADKHAH_HSTS_SECONDS",
        "31536000",
        "With DADKHAH_HTTPS=1: how long (seconds) browsers must keep using HTTPS for the site "
        "(Strict-Transport-Security max-age; one year by default, 0 sends no HSTS header).",
    ),
    Setting(
        "hsts_subdomains",
        "DADKHAH_HSTS_SUBDOMAINS",
        "1",
        "With DADKHAH_HTTPS=1: 1 extends HSTS to every subdomain (includeSubDomains).",
    ),
    Setting(
        "hsts_preload",
        "DADKHAH_HSTS_PRELOAD",
        "1",
        "With DADKHAH_HTTPS=1: 1 adds the preload flag to HSTS, so the domain may be listed "
        "in browsers' built-in HTTPS-only lists (hard to undo: see hstspreload.org).",
    ),
    Setting(
        "upload_max_mb",
        "DADKHAH_UPLOAD_MAX_MB",
        "512",
        "Largest evidence file (in MB) the staff upload page accepts; a larger file is refused "
        "by name and nothing of that upload is kept. Bound the request size at the reverse "
        "proxy too (nginx client_max_body_size).",
    ),
    Setting(
        "session_hours",
        "DADKHAH_SESSION_HOURS",
        "8",
        "Hours a staff login lasts at most, active or not; then the person logs in again.",
    ),
    Setting(
        "session_idle_minutes",
        "DADKHAH_SESSION_IDLE_MINUTES",
        "60",
        "Minutes without a request after which a login ends.",
    ),
    Setting(
        "session_browser_close",
        "DADKHAH_SESSION_BROWSER_CLOSE",
        "0",
        "1 ends a login when the browser closes (a session cookie), as well as after "
        "DADKHAH_SESSION_HOURS.",
    ),
    Setting(
        "login_failure_limit",
        "DADKHAH_LOGIN_FAILURE_LIMIT",
        "5",
        "Failed passwords for one username from one network address before that pair is "
        "locked out (`dadkhah user unlock NAME` lifts it early).",
    ),
    Setting(
        "login_lockout_minutes",
        "DADKHAH_LOGIN_LOCKOUT_MINUTES",
        "15",
        "Minutes a locked-out username and address stay locked.",
    ),
    Setting(
        "require_all",
        "DADKHAH_REQUIRE_ALL",
        "0",
        "1 makes tests fail instead of skipping when a system tool (chromium, PostgreSQL) is missing. CI sets it.",
    ),
)


@dataclass(frozen=True)
class Config:
    home: Path
    database_url: str
    debug: bool
    allowed_hosts: list[str]
    secret_key: str
    require_all: bool
    blobs: str = ""
    s3_endpoint: str = ""
    queue_url: str = ""
    cache_url: str = ""
    tile_url: str = ""
    tile_attribution: str = ""
    font_dir: str = "/usr/share/fonts/truetype/noto"
    pow_max_number: int = 100_000
    pow_ttl: int = 7200
    contribute_max_file_mb: int = 25
    contribute_max_files: int = 10
    contribute_rate: tuple[int, int] = (5, 600)
    contact: str = ""
    trusted_proxies: tuple[str, ...] = ()
    campaign_rate_short: tuple[int, int] = (5, 60)
    campaign_rate_long: tuple[int, int] = (50, 86400)
    campaign_rate_network: tuple[int, int] = (200, 3600)
    campaign_confirm_hours: int = 72
    campaign_package_days: int = 7
    smtp_url: str = ""
    mailsink_port: int = 8025
    mail_from: str = "Dadkhah <no-reply@localhost>"
    site_url: str = "http://127.0.0.1:8000"
    https: bool = False
    hsts_seconds: int = 31_536_000
    hsts_subdomains: bool = True
    hsts_preload: bool = True
    upload_max_mb: int = 512
    session_hours: int = 8
    session_idle_minutes: int = 60
    session_browser_close: bool = False
    login_failure_limit: int = 5
    login_lockout_minutes: int = 15

    @property
    def smtp(self) -> SmtpTarget:
        """The SMTP server to send through (the local sink when ``smtp_url`` is empty)."""
        return smtp_target(self.smtp_url, self.mailsink_port)

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"


def _secret_from_home(home: Path) -> str:
    """Secrets never live in the database: the key is a file under DADKHAH_HOME/keys."""
    keys = home / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys / "django-secret"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        os.replace(tmp, path)
    return path.read_text().strip()


def _positive_int(raw: dict[str, str], name: str) -> int:
    env = next(s.env for s in SETTINGS if s.name == name)
    text = raw[name].strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{env}={raw[name]!r}: expected a whole number of at least 1")
    return int(text)


def _rate(raw: dict[str, str]) -> tuple[int, int]:
    count, _, seconds = raw["contribute_rate"].strip().partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and 0 < int(seconds) <= 86400):
        raise ValueError(
            f"DADKHAH_CONTRIBUTE_RATE={raw['contribute_rate']!r}: expected COUNT/SECONDS, "
            "such as 5/600, with a window of at most 86400 seconds (one day)"
        )
    return int(count), int(seconds)


@dataclass(frozen=True)
class SmtpTarget:
    """Django's EMAIL_* settings, read from DADKHAH_SMTP_URL."""

    host: str
    port: int
    user: str
    password: str
    use_tls: bool  # STARTTLS after connecting
    use_ssl: bool  # TLS from the first byte (smtps)
    local_sink: bool  # the development sink on loopback


_SMTP_SCHEMES = {
    "smtp": (False, False, 25),
    "smtp+starttls": (True, False, 587),
    "smtps": (False, True, 465),
}


def smtp_target(url: str, sink_port: int = 8025) -> SmtpTarget:
    """Parse DADKHAH_SMTP_URL; raises ValueError naming the setting when it is malformed."""
    from urllib.parse import unquote, urlsplit

    text = url.strip()
    if not text:
        return SmtpTarget("127.0.0.1", sink_port, "", "", False, False, True)
    problem = "expected smtp://host:port, smtp+starttls://user:password@host:587 or smtps://…"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"DADKHAH_SMTP_URL={url!r}: {problem}") from None
    if parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
        raise ValueError(f"DADKHAH_SMTP_URL={url!r}: {problem}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"DADKHAH_SMTP_URL={url!r}: no path, query or fragment allowed")
    use_tls, use_ssl, default_port = _SMTP_SCHEMES[parts.scheme]
    return SmtpTarget(
        host=parts.hostname,
        port=port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        local_sink=False,
    )


def _smtp_url(raw: dict[str, str]) -> str:
    smtp_target(raw["smtp_url"])  # fails early, naming the setting
    return raw["smtp_url"].strip()


def _port(raw: dict[str, str], name: str) -> int:
    port = _positive_int(raw, name)
    if port > 65535:
        env = next(s.env for s in SETTINGS if s.name == name)
        raise ValueError(f"{env}={raw[name]!r}: expected a port number, 1 to 65535")
    return port


def _mail_from(raw: dict[str, str]) -> str:
    from email.utils import parseaddr

    text = raw["mail_from"].strip()
    address = parseaddr(text)[1]
    if "@" not in address or "\n" in text or "\r" in text:
        raise ValueError(
            f"DADKHAH_MAIL_FROM={raw['mail_from']!r}: expected Name <address@domain> or an address"
        )
    return text


def _site_url(raw: dict[str, str]) -> str:
    from urllib.parse import urlsplit

    text = raw["site_url"].strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ValueError(
            f"DADKHAH_SITE_URL={raw['site_url']!r}: expected scheme and host, such as "
            "https://campaign.example.org (no path)"
        )
    return text


def _proxies(raw: dict[str, str]) -> tuple[str, ...]:
    import ipaddress

    networks = []
    for part in raw["trusted_proxies"].split(","):
        if not part.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise ValueError(
                f"DADKHAH_TRUSTED_PROXIES: {part.strip()!r} is not a network such as "
                "10.0.0.0/8 or ::1/128"
            ) from None
    return tuple(networks)


def _window(raw: dict[str, str], name: str) -> tuple[int, int]:
    env = next(s.env for s in SETTINGS if s.name == name)
    count, _, seconds = raw[name].strip().partition("/")
    if not (
        count.isdigit() and seconds.isdigit() and int(count) > 0 and 0 < int(seconds) <= 2592000
    ):
        raise ValueError(
            f"{env}={raw[name]!r}: expected COUNT/SECONDS, such as 5/60, with a window of at "
            "most 2592000 seconds (30 days, when addresses are purged)"
        )
    return int(count), int(seconds)


def _redis_url(raw: dict[str, str], name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://) or empty; raises ValueError naming it."""
    from urllib.parse import parse_qs, urlsplit

    text = raw[name].strip()
    if not text:
        return ""
    env = next(s.env for s in SETTINGS if s.name == name)
    problem = (
        f"{env}={raw[name]!r}: expected redis://host:port/db, rediss://host:port/db or "
        "unix:///path/to/redis.sock?db=N"
    )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme in ("redis", "rediss"):
        db = parts.path.strip("/")
        if not parts.hostname or not (db == "" or db.isdigit()):
            raise ValueError(problem)
    elif parts.scheme == "unix":
        db_values = parse_qs(parts.query).get("db", ["0"])
        if not parts.path or not all(v.isdigit() for v in db_values):
            raise ValueError(problem)
    else:
        raise ValueError(problem)
    return text


def _flag(raw: dict[str, str], name: str) -> bool:
    text = raw[name].strip()
    if text not in ("0", "1"):
        env = next(s.env for s in SETTINGS if s.name == name)
        raise ValueError(f"{env}={raw[name]!r}: expected 0 or 1")
    return text == "1"


def _seconds(raw: dict[str, str], name: str) -> int:
    text = raw[name].strip()
    if not text.isdigit():
        env = next(s.env for s in SETTINGS if s.name == name)
        raise ValueError(f"{env}={raw[name]!r}: expected a whole number of seconds (0 or more)")
    return int(text)


def load(environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    raw = {s.name: env.get(s.env, s.default) for s in SETTINGS}
    home = Path(raw["home"]).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return Config(
        home=home,
        database_url=raw["database_url"],
        debug=raw["debug"] == "1",
        allowed_hosts=[h.strip() for h in raw["allowed_hosts"].split(",") if h.strip()],
        secret_key=raw["secret_key"] or _secret_from_home(home),
        require_all=raw["require_all"] == "1",
        blobs=raw["blobs"].strip(),
        s3_endpoint=raw["s3_endpoint"].strip(),
        queue_url=_redis_url(raw, "queue_url"),
        cache_url=_redis_url(raw, "cache_url"),
        tile_url=raw["tile_url"].strip(),
        tile_attribution=raw["tile_attribution"].strip(),
        font_dir=raw["font_dir"].strip() or "/usr/share/fonts/truetype/noto",
        pow_max_number=_positive_int(raw, "pow_max_number"),
        pow_ttl=_positive_int(raw, "pow_ttl"),
        contribute_max_file_mb=_positive_int(raw, "contribute_max_file_mb"),
        contribute_max_files=_positive_int(raw, "contribute_max_files"),
        contribute_rate=_rate(raw),
        contact=raw["contact"].strip(),
        trusted_proxies=_proxies(raw),
        campaign_rate_short=_window(raw, "campaign_rate_short"),
        campaign_rate_long=_window(raw, "campaign_rate_long"),
        campaign_rate_network=_window(raw, "campaign_rate_network"),
        campaign_confirm_hours=_positive_int(raw, "campaign_confirm_hours"),
        campaign_package_days=_positive_int(raw, "campaign_package_days"),
        smtp_url=_smtp_url(raw),
        mailsink_port=_port(raw, "mailsink_port"),
        mail_from=_mail_from(raw),
        site_url=_site_url(raw),
        https=_flag(raw, "https"),
        hsts_seconds=_seconds(raw, "hsts_seconds"),
        hsts_subdomains=_flag(raw, "hsts_subdomains"),
        hsts_preload=_flag(raw, "hsts_preload"),
        upload_max_mb=_positive_int(raw, "upload_max_mb"),
        session_hours=_positive_int(raw, "session_hours"),
        session_idle_minutes=_positive_int(raw, "session_idle_minutes"),
        session_browser_close=_flag(raw, "session_browser_close"),
        login_failure_limit=_positive_int(raw, "login_failure_limit"),
        login_lockout_minutes=_positive_int(raw, "login_lockout_minutes"),
    )
