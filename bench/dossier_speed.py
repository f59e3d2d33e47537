"""Dossier benchmark: a person with 200 claims and 50 evidence items, rendered as a dossier.

    .venv/bin/python bench/dossier_speed.py [--seed N] [--claims 200] [--items 50]

Builds, in a throwaway DADKHAH_HOME (not timed): 50 synthetic text documents preserved in the
vault (the real ingest path), a source standing for each, and one synthetic person with posts
in three bodies and claims citing those sources, 200 in all. Then times, in one process:
``assemble`` (records, visibility, pseudonyms, evidence with inclusion proofs), the HTML, the
PDF, and ``make_dossier`` end to end (PDF, evidence bundle, ledger entry). Target (issue 8): the
person's dossier renders in 10 s or less. Prints the seed and the times; everything is invented
and the home is removed at the end. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "prison",
    "letter",
    "family",
    "witness",
    "commission",
    "summer",
    "grave",
    "court",
    "record",
    "list",
    "report",
]


def build(home: Path, rng: random.Random, n_claims: int, n_items: int) -> str:
    from dadkhah.cli import setup

    setup()
    from dadkhah.core.confidentiality import Level
    from dadkhah.records import claims
    from dadkhah.records.models import Source
    from dadkhah.vault.ingest import Ingest

    docs = home / "docs"
    docs.mkdir()
    for i in range(n_items):
        text = " ".join(rng.choice(WORDS) for _ in range(200))
        (docs / f"synthetic-document-{i:03d}.txt").write_text(f"Synthetic {i}. {text}\n")
    run = Ingest("bench", note="synthetic benchmark documents")
    for path in sorted(docs.iterdir()):
        run.add(str(path))
    if run.problems:
        raise SystemExit(f"ingest failed: {run.problems}")
    sources = []
    for i, (item, _name) in enumerate(run.items):
        sources.append(
            Source.objects.create(
                uid=f"src-bench-{i:03d}",
                confidentiality=Level.PUBLIC,
                is_synthetic=True,
                title=f"Synthetic benchmark document {i}",
                citation=f"Synthetic benchmark document {i}, invented for the benchmark.",
                item=item,
            )
        )

    def cites() -> list[claims.CitationInput]:
        return [
            claims.CitationInput(source=s, page=str(rng.randint(1, 9)), confidence="medium")
            for s in rng.sample(sources, 2)
        ]

    public = {"confidentiality": Level.PUBLIC, "is_synthetic": True}
    person = claims.create_record("person", uid="person-bench", **public)
    made = 0
    bodies = []
    for b in range(3):
        body = claims.create_record("body", uid=f"body-bench-{b}", **public)
        claims.add_claim(body, "name", f"Synthetic body {b}", citations=cites())
        bodies.append(body)
    for p in range(10):
        post = claims.create_record(
            "post", uid=f"post-bench-{p}", person=person, body=bodies[p % 3], **public
        )
        year = 1980 + 3 * p
        for prop, value in (
            ("role", f"Synthetic role {p}"),
            ("start_date", str(year)),
            ("end_date", str(year + 2)),
        ):
            claims.add_claim(post, prop, value, citations=cites(), reproject=False)
            made += 1
        claims.project(post)
    claims.add_claim(person, "name", "Synthetic Benchmark Person", citations=cites())
    claims.add_claim(person, "name", "شخص ساختگی محک", citations=cites())
    made += 2
    while made < n_claims:
        claims.add_claim(
            person, "occupation", f"Synthetic occupation {made}", citations=cites(), reproject=False
        )
        made += 1
    claims.project(person)
    return person.uid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}")  # noqa: T201
    home = Path(tempfile.mkdtemp(prefix="dadkhah-bench-dossier-"))
    os.environ["DADKHAH_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dadkhah.settings")
    try:
        t0 = time.perf_counter()
        uid = build(home, random.Random(seed), args.claims, args.items)
        t_build = time.perf_counter() - t0
        from dadkhah.core.confidentiality import Level
        from dadkhah.dossiers.assemble import assemble
        from dadkhah.dossiers.render import make_dossier, render_html, render_pdf

        t0 = time.perf_counter()
        dossier = assemble("person", uid, Level.INTERNAL, kind="perpetrator")
        t_assemble = time.perf_counter() - t0
        t0 = time.perf_counter()
        render_html(dossier)
        t_html = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf = render_pdf(dossier)
        t_pdf = time.perf_counter() - t0
        out = home / "dossier.pdf"
        t0, c0 = time.perf_counter(), time.process_time()
        made = make_dossier(
            "person",
            uid,
            fmt="pdf",
            out=out,
            clearance=Level.INTERNAL,
            actor="bench",
            kind="perpetrator",
        )
        t_total, c_total = time.perf_counter() - t0, time.process_time() - c0
        lines = [
            f"setup (not timed): {t_build:.1f} s",
            f"claims {dossier.claim_count}, evidence items {len(dossier.evidence)}, "
            f"sources {len(dossier.sources)}, PDF {len(pdf):,} bytes",
            f"assemble {t_assemble:.2f} s; html {t_html:.2f} s; pdf {t_pdf:.2f} s",
            f"make_dossier (assemble + PDF + bundle of {len(made.items)} items + ledger): "
            f"{t_total:.2f} s wall, {c_total:.2f} s CPU (target <= 10 s)",
        ]
        for line in lines:
            print(line)  # noqa: T201
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
