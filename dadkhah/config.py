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
    tile_url: str = ""
    tile_attribution: str = ""
    font_dir: str = "/usr/share/fonts/truetype/noto"
    pow_max_number: int = 100_000
    pow_ttl: int = 7200
    contribute_max_file_mb: int = 25
    contribute_max_files: int = 10
    contribute_rate: tuple[int, int] = (5, 600)
    contact: str = ""

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
        tile_url=raw["tile_url"].strip(),
        tile_attribution=raw["tile_attribution"].strip(),
        font_dir=raw["font_dir"].strip() or "/usr/share/fonts/truetype/noto",
        pow_max_number=_positive_int(raw, "pow_max_number"),
        pow_ttl=_positive_int(raw, "pow_ttl"),
        contribute_max_file_mb=_positive_int(raw, "contribute_max_file_mb"),
        contribute_max_files=_positive_int(raw, "contribute_max_files"),
        contribute_rate=_rate(raw),
        contact=raw["contact"].strip(),
    )
