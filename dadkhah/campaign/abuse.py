"""Abuse handling for signatures: keyed address hashes, rate windows, allow and block lists,
the proof of work, and a moderator's bulk removal.

- :func:`client_address` reads the visitor's address from the connection, or from
  ``X-Forwarded-For`` (its rightmost hop outside the trusted networks) when the connection
  comes from a proxy in ``DADKHAH_TRUSTED_PROXIES``.
- :func:`address_hashes` turns the address into HMAC-SHA256 hashes under a key file
  (``DADKHAH_HOME/keys/campaign-address.key``): the exact address, and its networks (IPv4
  /24 and /16, IPv6 /64 and /48, written ``"24:<hex>"``…, narrowest first). The address
  itself is never stored or logged.
- :func:`assess` decides, before a signature is stored, whether it is flagged: block rules
  (``blocked-network``, ``blocked-domain``); then, unless an allow rule matches, throwaway
  email domains (``disposable-domain``) and the windows per address (``rate-short``,
  ``rate-long``, across all campaigns) and per /24 or /64 network (``rate-network``),
  counted from the Signature table on two indexes. A flagged signature is stored as
  ``fraudulent`` and the signer sees nothing different.
- :func:`check_pow` verifies the ALTCHA-style proof of work (``core.pow``) and spends it.
- :func:`invalidate` removes a campaign's signatures by network range or email domain in
  one transaction, with an :class:`~dadkhah.campaign.models.Invalidation` row and a custody
  ledger entry ``campaign-invalidation``, then asks the tally to count the removals.
- :func:`add_rule` and :func:`remove_rule` keep the allow and block lists; a network rule
  holds the keyed hashes of the networks it covers, not the range's addresses.

Since addresses are emptied 30 days after signing, a range matches younger signatures only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone

from dadkhah.accounts.roles import role_of
from dadkhah.campaign.models import AccessRule, Campaign, Invalidation, Signature
from dadkhah.core.confidentiality import Role
from dadkhah.core.errors import FieldError
from dadkhah.core.pow import PowError, ProofOfWork, Solution
from dadkhah.memorial.contributions import DbSpentStore
from dadkhah.vault import keys, ledger

__all__ = [
    "ADDRESS_KEY_FILE",
    "MODERATORS",
    "POW_KEY_FILE",
    "POW_SCOPE",
    "REMOVABLE",
    "AbuseError",
    "Match",
    "Verdict",
    "add_rule",
    "address_hashes",
    "assess",
    "check_pow",
    "client_address",
    "disposable_domains",
    "invalidate",
    "is_moderator",
    "matching",
    "normalize_domain",
    "pow_challenge",
    "pow_engine",
    "remove_rule",
]

logger = logging.getLogger(__name__)

ADDRESS_KEY_FILE = "campaign-address.key"
POW_KEY_FILE = "campaign-pow.key"
POW_SCOPE = "campaign-signature"
DISPOSABLE_FILE = Path(__file__).parent / "data" / "disposable-domains.txt"
MODERATORS = (Role.REVIEWER, Role.ADMINISTRATOR)
REMOVABLE = (
    Signature.State.VALIDATED,
    Signature.State.PENDING,
    Signature.State.FRAUDULENT,
)
# The network levels kept per signature (narrow first) and the widest range a moderator
# may remove or list at once.
LEVELS = {4: (24, 16), 6: (64, 48)}
WIDEST = {4: 16, 6: 32}
MAX_EXPANSION = 1 << 16  # hashes one range may expand into
CHUNK = 2000  # values per IN (…) in one query


class AbuseError(FieldError):
    """A moderator's range, domain, rule or reason refused; ``field`` names the form field."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`assess`: ``fraudulent_reason`` is "" when the signature is fine."""

    fraudulent_reason: str = ""
    allowed: bool = False  # an allow rule matched: no rate limit applied


# ------------------------------------------------------------------ keys and hashes


def _hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header or the connection, IPv4-mapped IPv6 read as IPv4; None if
    unreadable. Accepts ``1.2.3.4:port`` and ``[::1]:port`` as some proxies write them."""
    value = text.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _address_hash(key: bytes, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return _hmac(key, f"ip:{address.compressed}")


def _network_hash(key: bytes, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    return f"{network.prefixlen}:{_hmac(key, f'net:{network.with_prefixlen}')}"


def address_hashes(address: str | None) -> tuple[str, list[str]]:
    """(ip_hash, net_hashes) of ``address``: the keyed hash of the exact address, and of its
    networks, narrowest first (``["24:<hex>", "16:<hex>"]`` or ``["64:…", "48:…"]``).
    ("", []) when there is no address or it cannot be read."""
    if not address:
        return "", []
    parsed = _parse_address(address)
    if parsed is None:
        logger.warning("campaign: an unreadable client address was ignored")
        return "", []
    key = keys.secret(ADDRESS_KEY_FILE)
    nets = [
        _network_hash(key, ipaddress.ip_network(f"{parsed}/{bits}", strict=False))
        for bits in LEVELS[parsed.version]
    ]
    return _address_hash(key, parsed), nets


# ------------------------------------------------------------------ the client's address


@lru_cache(maxsize=8)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(
        address.version == net.version and address in net
        for net in _networks(tuple(settings.CONFIG.trusted_proxies))
    )


def client_address(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, unless it is a trusted proxy; then the rightmost
    hop of X-Forwarded-For outside the trusted networks (what our own proxy saw). Hops to
    its left were written by the visitor and are never believed."""
    remote = _parse_address(str(request.META.get("REMOTE_ADDR") or ""))
    if remote is None:
        return None
    if not _trusted(remote):
        return str(remote)
    # Servers join repeated X-Forwarded-For headers with commas, in order.
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [h for h in forwarded.split(",") if h.strip()]
    last = remote
    for hop in reversed(hops):
        parsed = _parse_address(hop)
        if parsed is None:  # our proxy writes real addresses: a garbled hop is not believed
            return str(last)
        if not _trusted(parsed):
            return str(parsed)
        last = parsed
    return str(last)


# ------------------------------------------------------------------ domains and rules


def normalize_domain(raw: str) -> str:
    """A domain as stored in ``Signature.email_domain``: lowercase IDNA, no ``@`` or final
    dot. Raises AbuseError naming the field for anything else."""
    text = raw.strip().lstrip("@").rstrip(".").lower()
    if not text or len(text) > 253 or "." not in text:
        raise AbuseError(f"Domain: {raw.strip()!r} is not a domain such as example.org", "value")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise AbuseError(f"Domain: {raw.strip()!r} is not a valid domain name", "value") from None
    labels = text.split(".")
    if any(
        not label or len(label) > 63 or not all(c.isalnum() or c == "-" for c in label)
        for label in labels
    ):
        raise AbuseError(f"Domain: {raw.strip()!r} is not a valid domain name", "value")
    return text


def _suffixes(domain: str) -> list[str]:
    """``a.b.example.org`` → itself, ``b.example.org``, ``example.org``, ``org``."""
    parts = domain.lower().strip(".").split(".")
    return [".".join(parts[i:]) for i in range(len(parts))] if domain else []


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    """Throwaway-mailbox domains (``data/disposable-domains.txt``, one a line, ``#`` notes)."""
    found: set[str] = set()
    for number, line in enumerate(DISPOSABLE_FILE.read_text("utf-8").splitlines(), 1):
        text = line.partition("#")[0].strip()
        if not text:
            continue
        try:
            found.add(normalize_domain(text))
        except AbuseError as exc:
            raise ValueError(f"{DISPOSABLE_FILE}:{number}: domain: {exc}") from None
    return frozenset(found)


@dataclass(frozen=True)
class _Rules:
    allow_hashes: frozenset[str]
    block_hashes: frozenset[str]
    allow_domains: frozenset[str]
    block_domains: frozenset[str]


_rules_lock = threading.Lock()
_rules_cache: dict[str, tuple[tuple[Any, ...], _Rules]] = {}


def _rules(version: tuple[Any, ...]) -> _Rules:
    """The allow and block lists, read again only when the table's ``version`` (count,
    largest id, newest creation) changed; :func:`assess` reads it with the windows."""
    with _rules_lock:
        cached = _rules_cache.get("rules")
        if cached is not None and cached[0] == version:
            return cached[1]
    sets: dict[tuple[str, str], set[str]] = {}
    for action, kind, value, hashes in AccessRule.objects.values_list(
        "action", "kind", "value", "net_hashes"
    ):
        bucket = sets.setdefault((action, kind), set())
        if kind == AccessRule.Kind.NETWORK:
            bucket.update(str(h) for h in hashes or [])
        else:
            bucket.add(value)
    rules = _Rules(
        allow_hashes=frozenset(sets.get(("allow", "network"), ())),
        block_hashes=frozenset(sets.get(("block", "network"), ())),
        allow_domains=frozenset(sets.get(("allow", "domain"), ())),
        block_domains=frozenset(sets.get(("block", "domain"), ())),
    )
    with _rules_lock:
        _rules_cache["rules"] = (version, rules)
    return rules


# ------------------------------------------------------------------ assessing a signature


@lru_cache(maxsize=1)
def _window_sql(signatures: str, rules: str) -> str:
    """One statement: the rules' version, and the address's and network's recent
    signatures, each an index range scan that stops after ``LIMIT`` rows (newest first)."""
    return f"""
        SELECT r.n, r.last_id, r.last_at, a.n_short, a.n_long, b.n_net
        FROM (SELECT COUNT(*) AS n, MAX(id) AS last_id, MAX(created_at) AS last_at
              FROM {rules}) r,
             (SELECT COALESCE(SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END), 0) AS n_short,
                     COALESCE(SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END), 0) AS n_long
              FROM (SELECT created_at FROM {signatures}
                    WHERE ip_hash = %s AND created_at >= %s AND created_at <= %s
                    ORDER BY created_at DESC LIMIT %s) w1) a,
             (SELECT COUNT(*) AS n_net
              FROM (SELECT created_at FROM {signatures}
                    WHERE net_hash = %s AND created_at >= %s AND created_at <= %s
                    ORDER BY created_at DESC LIMIT %s) w2) b
    """


def _windows(
    ip_hash: str, net_hash: str | None, now: datetime
) -> tuple[tuple[Any, ...], int, int, int]:
    """(rules' version, signatures from the address in the short and the long window, from
    its network in the network window), across every campaign."""
    cfg = settings.CONFIG
    short_n, short_s = cfg.campaign_rate_short
    long_n, long_s = cfg.campaign_rate_long
    net_n, net_s = cfg.campaign_rate_network
    ops = connection.ops

    def at(seconds: int) -> Any:
        return ops.adapt_datetimefield_value(now - timedelta(seconds=seconds))

    moment = ops.adapt_datetimefield_value(now)
    params = [
        at(short_s),
        at(long_s),
        ip_hash,
        at(max(short_s, long_s)),
        moment,
        max(short_n, long_n),  # enough rows to tell either limit
        net_hash,
        at(net_s),
        moment,
        net_n,
    ]
    sql = _window_sql(Signature._meta.db_table, AccessRule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        n, last_id, last_at, n_short, n_long, n_net = cursor.fetchone()
    return (n, last_id, str(last_at)), int(n_short), int(n_long), int(n_net)


def assess(
    campaign: Campaign,
    ip_hash: str,
    net_hashes: list[str],
    email_domain: str,
    now: datetime,
) -> Verdict:
    """Whether a new signature is flagged, and why (see the module's docstring). Never
    raises for abuse; ``campaign`` is unused by the windows, which span every campaign.
    One database query (two when the lists changed since the last call)."""
    version, n_short, n_long, n_net = _windows(ip_hash, net_hashes[0] if net_hashes else None, now)
    rules = _rules(version)
    mine = {f"ip:{ip_hash}"} if ip_hash else set()
    mine.update(net_hashes)
    domains = _suffixes(email_domain)
    if mine & rules.block_hashes:
        return Verdict("blocked-network")
    if any(d in rules.block_domains for d in domains):
        return Verdict("blocked-domain")
    if mine & rules.allow_hashes or any(d in rules.allow_domains for d in domains):
        return Verdict("", allowed=True)
    if any(d in disposable_domains() for d in domains):
        return Verdict("disposable-domain")
    cfg = settings.CONFIG
    if ip_hash and n_short >= cfg.campaign_rate_short[0]:
        return Verdict("rate-short")
    if ip_hash and n_long >= cfg.campaign_rate_long[0]:
        return Verdict("rate-long")
    if net_hashes and n_net >= cfg.campaign_rate_network[0]:
        return Verdict("rate-network")
    return Verdict()


# ------------------------------------------------------------------ proof of work


def pow_engine() -> ProofOfWork:
    """The campaign's proof of work: its own key, the memorial's difficulty and lifetime."""
    cfg = settings.CONFIG
    return ProofOfWork(
        keys.secret(POW_KEY_FILE),
        max_number=cfg.pow_max_number,
        ttl=timedelta(seconds=cfg.pow_ttl),
    )


def pow_challenge() -> dict[str, Any]:
    """A fresh challenge as the browser's solver reads it (for a form's data attribute)."""
    return pow_engine().issue().as_dict()


def check_pow(request: HttpRequest) -> None:
    """Verify the form's ``pow`` answer and spend it; raises PowError when it is missing,
    unreadable, forged, expired, wrong or used already."""
    solution = Solution.from_payload(str(request.POST.get("pow", "")))
    engine = pow_engine()
    expires = engine.check(solution)
    if not DbSpentStore(POW_SCOPE, timezone.now()).spend(solution.challenge, expires):
        raise PowError("spent", "this answer to the check was used already")


# ------------------------------------------------------------------ ranges


@dataclass(frozen=True)
class Match:
    """What a range or a domain matches, as stored: exact-address hashes, network hashes,
    or an email domain; ``value`` is the normalized range or domain."""

    kind: str
    value: str
    ip_hashes: frozenset[str] = frozenset()
    narrow: frozenset[str] = frozenset()  # the first of net_hashes (/24, /64)
    wide: frozenset[str] = frozenset()  # the second (/16, /48)

    def rule_hashes(self) -> list[str]:
        """As an AccessRule keeps them: exact addresses written ``ip:<hex>``."""
        return sorted({f"ip:{h}" for h in self.ip_hashes} | self.narrow | self.wide)


def _parse_network(raw: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = raw.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise AbuseError(
            f"Range: {text!r} is not a network such as 203.0.113.0/24 or 2001:db8::/48", "value"
        ) from None
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None and network.prefixlen >= 96:
            network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    if network.prefixlen < WIDEST[network.version]:
        widest = WIDEST[network.version]
        raise AbuseError(
            f"Range: {network.with_prefixlen} is too wide; IPv{network.version} ranges may be "
            f"/{widest} at the widest (split it into /{widest} ranges)",
            "value",
        )
    return network


def _expand(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Match:
    """The hashes a range covers: the widest kept level inside it (/16 or /24; /48 or /64),
    or the exact addresses of a range narrower than the narrowest kept network."""
    key = keys.secret(ADDRESS_KEY_FILE)
    narrow_bits, wide_bits = LEVELS[network.version]
    max_bits = network.max_prefixlen
    if network.prefixlen <= wide_bits:
        level, bucket = wide_bits, "wide"
    elif network.prefixlen <= narrow_bits:
        level, bucket = narrow_bits, "narrow"
    else:
        level, bucket = max_bits, "ip"
    count = 1 << (level - network.prefixlen)
    if count > MAX_EXPANSION:
        raise AbuseError(
            f"Range: {network.with_prefixlen} covers {count:,} addresses one by one; only "
            f"/{narrow_bits} and /{wide_bits} networks are kept, so use one of those",
            "value",
        )
    if bucket == "ip":
        hashes = frozenset(_address_hash(key, a) for a in _subnet_addresses(network))
        return Match("network", network.with_prefixlen, ip_hashes=hashes)
    nets = frozenset(_network_hash(key, n) for n in network.subnets(new_prefix=level))
    if bucket == "wide":
        return Match("network", network.with_prefixlen, wide=nets)
    return Match("network", network.with_prefixlen, narrow=nets)


def _subnet_addresses(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> Iterator[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    base = int(network.network_address)
    for offset in range(network.num_addresses):
        yield ipaddress.ip_address(base + offset)


def _match(kind: str, value: str) -> Match:
    if kind == AccessRule.Kind.NETWORK:
        return _expand(_parse_network(value))
    if kind == AccessRule.Kind.DOMAIN:
        return Match("domain", normalize_domain(value))
    raise AbuseError(f"Kind: {kind!r}; one of network, domain", "kind")


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in sorted(values):
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _matched_ids(campaign: Campaign, match: Match) -> set[int]:
    base: QuerySet[Signature] = Signature.objects.filter(campaign=campaign, state__in=REMOVABLE)
    if match.kind == "domain":
        query = Q(email_domain=match.value) | Q(email_domain__endswith=f".{match.value}")
        return set(base.filter(query).values_list("id", flat=True))
    found: set[int] = set()
    for chunk in _chunks(match.ip_hashes):
        found.update(base.filter(ip_hash__in=chunk).values_list("id", flat=True))
    for chunk in _chunks(match.narrow):
        found.update(base.filter(net_hash__in=chunk).values_list("id", flat=True))
    if match.wide:
        # The second of net_hashes (/16, /48), read as text; a rare moderator's query, so
        # it has no index of its own (the campaign's rows are scanned).
        wide = base.exclude(ip_hash="").annotate(
            wide=Cast(KT("net_hashes__1"), output_field=CharField())
        )
        for chunk in _chunks(match.wide):
            found.update(wide.filter(wide__in=chunk).values_list("id", flat=True))
    return found


def matching(campaign: Campaign, kind: str, value: str) -> tuple[Match, int]:
    """The normalized range or domain and how many of the campaign's signatures it would
    remove now (the preview before a moderator confirms)."""
    match = _match(kind, value)
    return match, len(_matched_ids(campaign, match))


# ------------------------------------------------------------------ moderators' actions


def is_moderator(user: Any) -> bool:
    """Reviewers and administrators handle abuse; investigators and the public do not."""
    return role_of(user) in MODERATORS


def _actor_name(actor: Any) -> str:
    if not is_moderator(actor):
        raise AbuseError("Only reviewers and administrators may do this", "")
    return str(actor.get_username())


def invalidate(campaign: Campaign, kind: str, value: str, reason: str, actor: Any) -> Invalidation:
    """Remove ``campaign``'s pending, validated and flagged signatures from a network range
    (CIDR, matched through the stored hashes) or an email domain (and its subdomains), in
    one transaction with an Invalidation row and a ``campaign-invalidation`` ledger entry;
    then ask the tally to count the removals. Raises AbuseError naming the field."""
    who = _actor_name(actor)
    why = reason.strip()
    if not why:
        raise AbuseError("Reason: say why these signatures are removed", "reason")
    match = _match(kind, value)
    now = timezone.now()
    with transaction.atomic():
        ids = sorted(_matched_ids(campaign, match))
        removed = 0
        for start in range(0, len(ids), CHUNK):
            removed += Signature.objects.filter(
                id__in=ids[start : start + CHUNK], state__in=REMOVABLE
            ).update(state=Signature.State.INVALIDATED, removed_at=now)
        record = Invalidation.objects.create(
            campaign=campaign,
            kind=match.kind,
            value=match.value,
            reason=why,
            signatures=removed,
            actor=actor,
        )
        entry = ledger.append(
            "campaign-invalidation",
            who,
            f"signatures of campaign {campaign.slug} removed by {match.kind} {match.value}",
            "",
            {
                "campaign": campaign.slug,
                "campaign_id": campaign.pk,
                "invalidation": record.pk,
                "kind": match.kind,
                "value": match.value,
                "signatures": removed,
                "reason": why,
            },
        )
        record.ledger_seq = int(entry.seq)
        record.save(update_fields=["ledger_seq"])
    ledger.checkpoint()
    logger.info(
        "campaign %s: %d signatures removed by %s %s (invalidation %d)",
        campaign.slug,
        removed,
        match.kind,
        match.value,
        record.pk,
    )
    from dadkhah.campaign import tally

    tally.request(campaign.pk)
    return record


def add_rule(action: str, kind: str, value: str, note: str, actor: Any) -> AccessRule:
    """Add an allow or block rule for a network range or an email domain; a network rule
    keeps the keyed hashes of what it covers. Raises AbuseError naming the field."""
    _actor_name(actor)
    if action not in AccessRule.Action.values:
        raise AbuseError(f"Action: {action!r}; one of allow, block", "action")
    match = _match(kind, value)
    try:
        with transaction.atomic():
            rule = AccessRule.objects.create(
                action=action,
                kind=match.kind,
                value=match.value,
                net_hashes=match.rule_hashes(),
                note=note.strip(),
                created_by=actor,
            )
    except IntegrityError:
        raise AbuseError(f"Value: {match.value} is already on the {action} list", "value") from None
    logger.info("campaign: %s rule added for %s %s", action, match.kind, match.value)
    return rule


def remove_rule(rule_id: int, actor: Any) -> AccessRule:
    """Delete an allow or block rule; returns the rule as it was."""
    _actor_name(actor)
    rule = AccessRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise AbuseError(f"Rule: no rule {rule_id}", "rule")
    rule.delete()
    logger.info("campaign: %s rule removed for %s %s", rule.action, rule.kind, rule.value)
    return rule
