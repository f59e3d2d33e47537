"""The counting report: its sections in English and Persian, its plots, the PDF and the staff page.

Layout tests use a small three-list table and estimates written out here, so that they check
the report and nothing else; one fixture runs the real estimators (``collect``, which runs
what ``dadkhah estimate --method all`` runs) on the same table, and the page tests reuse its
result through the page's own cache. The PDF is read back with Debian's poppler-utils
(pdftotext, pdffonts).
"""

from __future__ import annotations

import base64
import datetime
import html as _html
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dadkhah.counting import demo, explain, pdf, plots, report, views
from dadkhah.counting.collect import Collected, write_report
from dadkhah.counting.report import Unavailable, render_report
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable, read_capture_csv
from tests.conftest import require_tool

SMALL_CSV = "A,B,C,count\n1,0,0,120\n0,1,0,95\n0,0,1,80\n1,1,0,30\n1,0,1,25\n0,1,1,20\n1,1,1,10\n"
SEED = 7
WHEN = datetime.datetime(2026, 11, 21, 9, 30, tzinfo=datetime.UTC)
IMG = re.compile(r'<img src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">')
BIDI_AND_JOINERS = re.compile("[\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\u0654]")


def small_table() -> CaptureTable:
    return read_capture_csv(SMALL_CSV)[None]


def hand_made(observed: int = 380) -> list[Estimate]:
    draws = np.random.default_rng(1).normal(560, 40, size=400).round()
    return [
        Estimate(
            "chao", "Chao lower bound", observed, 505.0, (470.0, 560.0), {"version": "simple-v1"}
        ),
        Estimate(
            "loglinear",
            "[12,13]",
            observed,
            540.0,
            (500.0, 601.0),
            {"deviance": 1.25, "df": 2, "AIC": 45.5, "version": "loglinear-v1"},
        ),
        Estimate(
            "lcmcr",
            "LCMCR K=10",
            observed,
            float(np.median(draws)),
            (float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))),
            {"rhat": 1.002, "ess_bulk": 812.0, "seed": SEED, "draws": draws},
        ),
        Estimate(
            "ensemble",
            "LCMCR K=10",
            observed,
            1520.0,
            (1400.0, 1700.0),
            {"why": "the methods agree; LCMCR allows for heterogeneity"},
            recommended=True,
        ),
    ]


def plain(text: str) -> str:
    """Text without bidi controls, joiners and the ezafe mark, with spaces collapsed."""
    return " ".join(BIDI_AND_JOINERS.sub("", text).split())


def _e(text: str) -> str:
    return _html.escape(text, quote=True)


def images(html: str) -> dict[str, tuple[str, bytes]]:
    return {alt: (mime, base64.b64decode(data)) for mime, data, alt in IMG.findall(html)}


# The report, from estimates written out here


def test_every_section_is_there_in_english_and_persian():
    html = render_report(small_table(), hand_made(), generated=WHEN, seed=SEED, source="small.csv")
    for anchor in ("lists", "overlap", "methods", "posterior", "strata", "plain-en", "plain-fa"):
        assert f'id="counting-{anchor}"' in html
    for lang in ("en", "fa"):
        for key in (
            "overlap",
            "methods",
            "posterior",
            "strata",
            "meaning",
            "assumptions",
            "limits",
        ):
            assert explain.label(key, lang) in html, (lang, key)
    assert '<section class="plain" id="counting-plain-fa" lang="fa" dir="rtl">' in html
    # What it means, what it assumes and what it does not prove, in both languages.
    for phrase in (
        "A closed population.",
        "The lists as samples of that population.",
        "Correct linkage.",
        "It is an estimate, not a count of names.",
        "جمعیت بسته.",
        "فهرست‌ها به‌منزلهٔ نمونه‌هایی از همان جمعیت.",
        "پیوند درست رکوردها.",
        "این یک برآورد است، نه شمارش نام‌به‌نام.",
    ):
        assert phrase in html, phrase
    # The recommended estimate, with Persian digits in the Persian text.
    assert "Recommended estimate: about 1,520 people (95% interval 1,400 to 1,700)" in html
    assert "برآورد پیشنهادی: حدود ۱٬۵۲۰ نفر (بازهٔ ۹۵ درصدی: ۱٬۴۰۰ تا ۱٬۷۰۰)" in html
    assert "the methods agree; LCMCR allows for heterogeneity" in html
    assert "No strata were given" in html and "لایه‌ای تعریف نشده است" in html
    assert "Synthetic" not in html


def test_each_method_has_its_line_and_the_plots_are_inline_svg():
    html = render_report(small_table(), hand_made(), generated=WHEN)
    for method in ("chao", "loglinear", "lcmcr", "ensemble"):
        assert html.count(f'<tr data-method="{method}"') == 1, method
        assert explain.method_name(method, "en") in html
        assert explain.method_name(method, "fa") in html
    row = html[html.index('<tr data-method="loglinear"') :].split("</tr>")[0]
    assert "[12,13]" in row and "540" in row and "500 – 601" in row and "AIC: 45.5" in row
    assert '<tr data-method="ensemble" class="recommended">' in html
    found = images(html)
    assert set(found) == {"Overlap of the lists", "Estimates by method", "LCMCR posterior"}
    for mime, data in found.values():
        assert mime == "image/svg+xml"
        assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing fetched


def test_the_upset_plot_shows_every_pattern_and_list():
    table = small_table()
    fig = plots.upset(table)
    bars, matrix, sizes = fig.axes[0], fig.axes[1], fig.axes[2]
    assert sorted(int(p.get_height()) for p in bars.patches) == sorted(table.counts.tolist())
    assert [t.get_text() for t in matrix.get_yticklabels()] == ["A", "B", "C"]
    assert sorted(int(p.get_width()) for p in sizes.patches) == sorted(table.list_totals().values())
    assert plots.encode(fig, "png").startswith(b"\x89PNG")


def test_a_missing_method_is_named_never_invented():
    partial = [e for e in hand_made() if e.method in ("chao", "loglinear")]
    html = render_report(
        small_table(),
        partial,
        unavailable=[Unavailable("lcmcr", "the sampler did not converge: R-hat 1.4")],
        generated=WHEN,
    )
    assert 'data-unavailable="lcmcr"' in html
    assert "the sampler did not converge: R-hat 1.4" in html
    assert 'data-unavailable="ensemble"' in html  # no estimate is recommended
    assert "No recommended estimate is available; the lists record 380 people." in html
    assert "برآورد پیشنهادی در دسترس نیست" in html
    assert "LCMCR posterior" not in images(html)
    assert "the LCMCR method was not available" in html
    assert "Not every method could be used" in html and "همهٔ روش‌ها قابل استفاده نبودند" in html
    # A core method left out without a reason is still named.
    html = render_report(small_table(), partial[:1], generated=WHEN)
    assert 'data-unavailable="loglinear"' in html and "no estimate was supplied" in html


def test_names_from_the_file_are_escaped_and_plotted_by_code():
    table = CaptureTable.from_counts(
        ("<script>alert(1)</script>", "فهرست خانواده‌ها", "C"), {"100": 5, "010": 4, "111": 2}
    )
    estimates = [Estimate("loglinear", "<b>[12]</b>", 11, 15.0, (12.0, 20.0), {"note": "<i>"})]
    html = render_report(table, estimates, generated=WHEN, source='"><img src=x>')
    assert "<script>" not in html and "<b>" not in html and '"><img src=x>' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<bdi>فهرست خانواده‌ها</bdi>" in html
    assert explain.label("codes_note", "en") in html  # the plots say L1, L2 for these names
    assert plots.plot_label("فهرست خانواده‌ها", "L2") == "L2"
    assert plots.plot_label("families", "L1") == "families"


def test_strata_have_their_own_section():
    tables = read_capture_csv(
        "city,A,B,count\nTabriz,1,0,30\nTabriz,0,1,20\nTabriz,1,1,10\n"
        "Shiraz,1,0,12\nShiraz,0,1,9\nShiraz,1,1,6\n",
        strata="city",
    )
    estimates = [
        Estimate("chapman", "Chapman", 60, 95.0, (80.0, 120.0), stratum="Tabriz"),
        Estimate("chapman", "Chapman", 27, 40.0, (32.0, 55.0), stratum="Shiraz"),
        Estimate("stratified", "sum of strata", 87, 135.0, (115.0, 170.0), recommended=True),
    ]
    html = render_report(tables, estimates, generated=WHEN)
    assert "Estimates by stratum" in images(html)
    strata = html[html.index('id="counting-strata"') : html.index('id="counting-plain-en"')]
    assert "<bdi>Tabriz</bdi>" in strata and "<bdi>Shiraz</bdi>" in strata
    assert strata.count('<tr data-method="chapman"') == 2
    assert "No strata were given" not in html
    assert 'data-unavailable="stratified"' not in html
    assert "Recommended estimate: about 135 people" in html  # the lists record 87 in all
    assert "the lists record 87" in html


def test_one_language_only():
    fa = render_report(small_table(), hand_made(), lang_both=False, lang="fa", generated=WHEN)
    assert fa.startswith('<article class="counting-report" lang="fa" dir="rtl"')
    assert 'id="counting-plain-fa"' in fa and 'id="counting-plain-en"' not in fa
    assert "What the number means" not in fa
    assert "۱٬۵۲۰" in fa and "30 آبان 1405" not in fa and "۳۰ آبان ۱۴۰۵" in fa
    en = render_report(small_table(), hand_made(), lang_both=False, generated=WHEN)
    assert 'id="counting-plain-fa"' not in en and 'lang="fa"' not in en
    with pytest.raises(ValueError, match="unknown report language"):
        render_report(small_table(), hand_made(), lang_both=False, lang="de")


def test_disagreeing_methods_are_pointed_out():
    estimates = hand_made()
    assert not report.disagreement(estimates)
    estimates[1].interval = (380.0, 420.0)  # log-linear now misses the LCMCR interval
    assert report.disagreement(estimates)
    html = render_report(small_table(), estimates, generated=WHEN)
    assert "The methods do not agree on this table" in html
    assert "روش‌ها در مورد این جدول هم‌نظر نیستند" in html


def test_numbers_in_both_scripts():
    assert explain.number(10452.4) == "10,452"
    assert explain.number(10452.4, "fa") == "۱۰٬۴۵۲"
    assert explain.number(float("inf"), "fa") == "∞"
    assert explain.number(None) == "—"


def test_the_demo_table_is_synthetic_seeded_and_labelled():
    first, again, other = demo.demo(), demo.demo(), demo.demo(seed=5)
    assert first.csv() == again.csv() and first.csv() != other.csv()
    assert set(first.tables) == {"Region A", "Region B", "Region C"}
    assert read_capture_csv(first.csv(), strata=demo.STRATA_COLUMN).keys() == first.tables.keys()
    observed = sum(t.observed for t in first.tables.values())
    assert 0 < observed < first.true_total == 3500
    html = render_report(
        first.tables,
        [],
        synthetic=True,
        synthetic_seed=first.seed,
        true_total=first.true_total,
        generated=WHEN,
    )
    assert "Synthetic data." in html and "دادهٔ ساختگی." in html
    assert "generated by a computer simulation (seed 1988)" in html
    assert "The simulated population has 3,500 people" in html
    assert "جمعیت شبیه‌سازی‌شده ۳٬۵۰۰ نفر است" in html


# The PDF


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    path.write_bytes(pdf.report_pdf(small_table(), hand_made(), generated=WHEN, seed=SEED))
    return path


def test_the_pdf_reads_in_both_languages(pdf_file: Path):
    tool = require_tool("pdftotext")
    text = plain(
        subprocess.run(
            [tool, str(pdf_file), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    for phrase in (
        "Counting the dead: multiple systems estimation",
        "Recommended estimate: about 1,520 people",
        "Estimates by method",
        "A closed population.",
        "Correct linkage.",
        "What it does not prove",
        "شمارش جانباختگان",
        "این عدد چه معنایی دارد",
        "جمعیت بسته",
        "پیوند درست رکوردها",
        "آنچه این برآورد ثابت نمیکند",
        "۱٬۵۲۰",
    ):
        assert plain(phrase) in text, phrase


def test_the_pdf_embeds_noto_and_nothing_else(pdf_file: Path):
    tool = require_tool("pdffonts")
    listing = subprocess.run(
        [tool, str(pdf_file)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    names = {row[0].split("+", 1)[-1] for row in rows}
    assert {"Noto-Sans", "Noto-Naskh-Arabic"} <= names
    assert all(name.startswith("Noto-") for name in names), names
    assert all(row[-5] == "yes" for row in rows), listing  # the "emb" column


def test_persian_is_laid_out_right_to_left(pdf_file: Path):
    tool = require_tool("pdftotext")
    out = subprocess.run(
        [tool, "-bbox", str(pdf_file), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    words = [
        (
            float(x0),
            float(y0),
            float(x1),
            text[::-1] if re.search("[\u0600-\u06ff]", text) else text,
        )
        for x0, y0, x1, text in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', out
        )
    ]
    # The heading "به زبان ساده" (In plain words): its line starts at the right margin and its
    # first word is its rightmost.
    (line,) = {y for _, y, _, text in words if text == "ساده"}
    heading = {text: (x0, x1) for x0, y, x1, text in words if y == line}
    assert heading["به"][0] > heading["زبان"][0] > heading["ساده"][0]
    assert heading["به"][1] > width * 0.85
    # An English heading starts at the left margin.
    (x0, _, _, _) = next(w for w in words if w[3] == "In")
    assert x0 < width * 0.15


def test_pdf_pages_render(pdf_file: Path, tmp_path: Path):
    tool = require_tool("pdftoppm")
    subprocess.run([tool, "-r", "30", "-png", str(pdf_file), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 1000 for p in pages)


def test_the_pdf_fetches_nothing_but_its_fonts():
    document = report.render_document(small_table(), [], generated=WHEN).replace(
        "</body>", '<img src="http://example.invalid/x.png"></body>'
    )
    with pytest.raises(pdf.FetchRefused, match="fetches nothing but its own fonts: http://"):
        pdf.render_pdf(document)


# The real estimators


@pytest.fixture(scope="module")
def real() -> Collected:
    """What the staff page computes for SMALL_CSV and SEED, through its own cache."""
    current = views.Current(read_capture_csv(SMALL_CSV), "small.csv", SEED, synthetic=False)
    return views._run(current)


def test_the_report_on_real_estimates(real: Collected, tmp_path: Path):
    assert real.unavailable == [] and real.seed == SEED
    methods = [e.method for e in real.estimates]
    assert {"chao", "loglinear", "lcmcr", "ensemble"} <= set(methods)
    assert [e.recommended for e in real.estimates].count(True) == 1
    assert real.estimates[-1].recommended and real.estimates[-1].diagnostics["why"]
    source = report.posterior_estimate(real.estimates)
    assert source is not None and source.method == "lcmcr"
    # The plotted draws are the ones behind the LCMCR estimate.
    assert float(np.median(source.diagnostics["draws"])) == source.estimate
    html = render_report(small_table(), real.estimates, generated=WHEN)
    assert "LCMCR posterior" in images(html)
    for method in set(methods):
        assert f'<tr data-method="{method}"' in html
    assert "data-unavailable" not in html
    assert _e(real.estimates[-1].diagnostics["why"]) in html
    path = tmp_path / "report.html"
    write_report(path, read_capture_csv(SMALL_CSV), real.estimates, seed=real.seed)
    assert "LCMCR posterior" in images(path.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=r"\.html or \.pdf"):
        write_report(tmp_path / "report.docx", read_capture_csv(SMALL_CSV), [])


def test_the_stratified_lcmcr_total_is_the_posterior_shown():
    tables = read_capture_csv(
        "city,A,B,count\nTabriz,1,0,30\nTabriz,0,1,20\nTabriz,1,1,10\n"
        "Shiraz,1,0,12\nShiraz,0,1,9\nShiraz,1,1,6\n",
        strata="city",
    )
    draws = np.random.default_rng(2).normal(140, 10, size=300)
    total = Estimate(
        "stratified",
        "sum of LCMCR K=10 over 2 strata",
        87,
        float(np.median(draws)),
        (float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))),
        {"combines": "lcmcr", "draws": draws},
    )
    assert report.posterior_estimate([total]) is total
    html = render_report(tables, [total], generated=WHEN)
    assert "LCMCR posterior" in images(html)
    assert _e("sum of the strata's LCMCR posteriors") in html and "جمع توزیع‌های پسین" in html


# The staff page


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, text: str, name: str = "small.csv", **fields: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv"), **fields}
    return client.post("/counting/", data)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in():
    client = Client()
    for url in ("/counting/", "/counting/report.pdf", "/counting/report.html"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=/counting/")
    assert client.post("/counting/").status_code == 302


@pytest.mark.django_db
def test_users_without_a_staff_role_are_refused():
    nobody = get_user_model().objects.create_user("no-role", password="x" * 20)
    client = client_for(nobody)
    for url in ("/counting/", "/counting/report.pdf", "/counting/report.html"):
        assert client.get(url).status_code == 403, url
    assert 'href="/counting/"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_staff_upload_a_table_and_read_its_report(users, real: Collected):
    client = client_for(users["reviewer"])
    assert 'href="/counting/"' in client.get("/").content.decode()
    response = upload(client, SMALL_CSV, seed=str(SEED))
    assert response.status_code == 302 and response["Location"] == "/counting/"
    page = client.get("/counting/").content.decode()
    assert "<bdi>small.csv</bdi>" in page
    assert 'class="synthetic-note"' not in page
    for e in real.estimates:
        assert f'<tr data-method="{e.method}"' in page
    assert 'id="counting-plain-fa" lang="fa" dir="rtl"' in page
    assert 'href="/counting/report.pdf"' in page

    document = client.get("/counting/report.pdf")
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"] == 'attachment; filename="counting-report.pdf"'
    assert document.content.startswith(b"%PDF")
    standalone = client.get("/counting/report.html")
    assert standalone["Content-Disposition"] == 'attachment; filename="counting-report.html"'
    assert standalone.content.decode().startswith("<!doctype html>")

    assert client.post("/counting/", {"demo": "1"}).status_code == 302
    assert views.SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_bad_table_is_refused_with_its_line_and_field(users):
    client = client_for(users["investigator"])
    response = upload(client, "A,B,count\n1,0,4\n0,1,-2\n", name="lists.csv")
    assert response.status_code == 400
    page = response.content.decode()
    assert "lists.csv:3: field &#x27;count&#x27;: &#x27;-2&#x27; is negative" in page
    assert views.SESSION_KEY not in client.session
    assert upload(client, "A,count\n1,4\n").status_code == 400  # one list is not enough


def test_without_an_upload_the_page_reports_on_the_demo_table(rf):
    request = rf.get("/counting/")
    request.session = {}
    current = views._current(request)
    assert current.synthetic and current.name == "demo" and current.true_total == 3500
    assert current.tables.keys() == demo.demo().tables.keys()
