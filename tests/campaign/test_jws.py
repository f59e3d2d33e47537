"""The Human Rights Council joint written statement: grouping and wording with 0, 1 or many
organisations per status, the word limit, session and agenda lines, Word and text files,
Persian, and the CLI. Every organisation here is synthetic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from dadkhah.campaign import jws
from dadkhah.campaign.models import Campaign, CampaignText, OrgSignature
from dadkhah.cli import main
from tests.campaign.conftest import make_campaign

pytestmark = pytest.mark.django_db

SHARED = "also share(s) the views expressed in this statement."
FOOTNOTE = "*The present statement is issued, unedited, in the language(s) of submission only."


def statement(slug: str = "hrc-statement", words: int = 120, **fields: Any) -> Campaign:
    campaign = make_campaign(slug, kind=Campaign.Kind.STATEMENT, **fields)
    body = " ".join(["justice"] * (words - 1)) + "\n\nNow."
    CampaignText.objects.filter(campaign=campaign, language="en").update(
        title="Accountability for the 1988 prison massacre (synthetic)", body=body
    )
    CampaignText.objects.filter(campaign=campaign, language="fa").update(
        title="پاسخگویی برای کشتار ۱۳۶۷ (ساختگی)",
        body="ما خواستار تحقیقی مستقل می‌شویم.\n\nدادخواهی ادامه دارد.",
    )
    return campaign


def org(
    campaign: Campaign,
    name: str,
    status: str,
    state: str = OrgSignature.State.APPROVED,
    name_fa: str = "",
) -> OrgSignature:
    domain = name.lower().replace(" ", "-").replace("'", "") + ".example.org"
    return OrgSignature.objects.create(
        campaign=campaign,
        state=state,
        name=name,
        name_fa=name_fa,
        country="FR",
        website=domain,
        domain=domain,
        ecosoc_status=status,
        contact_name="Synthetic Contact",
        contact_email=f"contact@{domain}",
    )


# ------------------------------------------------------------------ counting words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("We ask for an independent investigation.", 6),
        ("well-known — facts", 3),
        ("ما خواستار تحقیقی مستقل می\u200cشویم.", 5),  # ZWNJ joins «می‌شویم»: one word
        ("می\u200bشویم", 1),  # zero-width space is a joiner too
        ("a\u00a0b", 2),  # a no-break space still separates
        ("justice\n\njustice", 2),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert jws.count_words(text) == expected


# ------------------------------------------------------------------ the heading


def test_one_special_co_sponsor_is_a_written_statement_no_sharing_line() -> None:
    campaign = statement()
    org(campaign, "Alpha Rights", "special")
    made = jws.build(campaign)
    assert made.heading == (
        "Written statement* submitted by Alpha Rights, a non-governmental organization in "
        "special consultative status"
    )
    assert made.shared == "" and SHARED not in jws.to_text(made)
    assert not made.title.endswith("**")


def test_many_special_and_one_sharing() -> None:
    campaign = statement()
    org(campaign, "Beta Justice", "special")
    org(campaign, "alpha Rights", "special")
    org(campaign, "Gamma Voices", "none")
    made = jws.build(campaign)
    assert made.heading == (
        "Joint written statement* submitted by alpha Rights, Beta Justice, non-governmental "
        "organizations in special consultative status"
    )
    assert made.shared == f"** Gamma Voices, NGO(s) without consultative status, {SHARED}"
    assert made.title.endswith(" **")


def test_grouped_general_then_special_then_roster_and_many_sharing() -> None:
    campaign = statement()
    org(campaign, "Roster One", "roster")
    org(campaign, "Special Two", "special")
    org(campaign, "General One", "general")
    org(campaign, "Special One", "special")
    org(campaign, "Zeta Support", "none")
    org(campaign, "Eta Support", "none")
    # not approved: never shown
    org(campaign, "Pending Org", "general", OrgSignature.State.PENDING)
    org(campaign, "Confirmed Org", "general", OrgSignature.State.CONFIRMED)
    org(campaign, "Rejected Org", "none", OrgSignature.State.REJECTED)
    made = jws.build(campaign)
    assert made.heading == (
        "Joint written statement* submitted by General One, a non-governmental organization "
        "in general consultative status, Special One, Special Two, non-governmental "
        "organizations in special consultative status, Roster One, a non-governmental "
        "organization on the roster"
    )
    assert made.cosponsors == ["General One", "Special One", "Special Two", "Roster One"]
    assert made.supporters == ["Eta Support", "Zeta Support"]
    assert made.shared.startswith("** Eta Support, Zeta Support, NGO(s) without")
    text = jws.to_text(made)
    for hidden in ("Pending Org", "Confirmed Org", "Rejected Org"):
        assert hidden not in text


def test_many_general_no_special_many_roster() -> None:
    campaign = statement()
    for name in ("G1", "G2", "R1", "R2", "R3"):
        org(campaign, name, "general" if name.startswith("G") else "roster")
    assert jws.build(campaign).heading == (
        "Joint written statement* submitted by G1, G2, non-governmental organizations in "
        "general consultative status, R1, R2, R3, non-governmental organizations on the roster"
    )


def test_no_co_sponsor_in_consultative_status_is_refused() -> None:
    campaign = statement()
    org(campaign, "Only Support", "none")
    org(campaign, "Not Yet", "special", OrgSignature.State.CONFIRMED)
    with pytest.raises(jws.JwsError, match="no approved organisation in ECOSOC"):
        jws.build(campaign)


def test_a_petition_is_refused(open_campaign: Campaign) -> None:
    with pytest.raises(jws.JwsError, match="petition"):
        jws.build(open_campaign)


# ------------------------------------------------------------------ word limit


def test_word_limit_general_allows_2000_not_2001() -> None:
    ok = statement("at-limit", words=2000)
    org(ok, "General One", "general")
    assert jws.build(ok).words == 2000
    over = statement("over-limit", words=2001)
    org(over, "General One", "general")
    with pytest.raises(jws.JwsError, match=r"has 2,001 words; the campaign's word limit is 2,000"):
        jws.build(over)


def test_word_limit_special_only_is_1500_by_resolution_1996_31() -> None:
    campaign = statement(words=1501)
    org(campaign, "Special One", "special")
    with pytest.raises(jws.JwsError, match=r"1,501 words; ECOSOC resolution 1996/31 allows 1,500"):
        jws.build(campaign)


def test_word_limit_of_the_campaign_applies_first(tmp_path: Path) -> None:
    campaign = statement(words=101, word_limit=100)
    org(campaign, "General One", "general")
    out = tmp_path / "jws.docx"
    with pytest.raises(jws.JwsError, match=r"101 words; the campaign's word limit is 100"):
        jws.export(campaign, out)
    assert not out.exists() and not list(tmp_path.iterdir())


# ------------------------------------------------------------------ session and agenda


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "First"),
        (12, "Twelfth"),
        (21, "Twenty-first"),
        (40, "Fortieth"),
        (52, "Fifty-second"),
        (58, "Fifty-eighth"),
        (63, "Sixty-third"),
        (99, "Ninety-ninth"),
        (101, "101st"),
    ],
)
def test_session_in_words(number: int, words: str) -> None:
    campaign = statement()
    org(campaign, "General One", "general")
    assert jws.build(campaign, session=number).session == f"{words} session"


def test_placeholders_and_agenda_item() -> None:
    campaign = statement()
    org(campaign, "General One", "general")
    blank = jws.build(campaign)
    assert (blank.session, blank.agenda, blank.agenda_title) == (
        "[Session number] session",
        "Agenda item [number]",
        "",
    )
    filled = jws.build(campaign, session=58, agenda_item=4)
    assert filled.agenda == "Agenda item 4"
    assert filled.agenda_title == "Human rights situations that require the Council's attention"
    with pytest.raises(jws.JwsError, match="agenda items are 1 to 10"):
        jws.build(campaign, agenda_item=11)


# ------------------------------------------------------------------ files


def _paragraphs(path: Path) -> list[Any]:
    return [p for p in Document(str(path)).paragraphs if p.text.strip()]


def test_docx_layout_read_back(tmp_path: Path) -> None:
    campaign = statement(words=30)
    org(campaign, "General One", "general")
    org(campaign, "Support One", "none")
    out = tmp_path / "jws.docx"
    made = jws.export(campaign, out, session=58, agenda_item=4)
    document = Document(str(out))
    assert "SYNTHETIC" in document.sections[0].header.paragraphs[0].text
    texts = [p.text for p in _paragraphs(out)]
    assert texts[0].startswith("SYNTHETIC")
    assert texts[1:6] == [
        "Human Rights Council",
        "Fifty-eighth session",
        "Agenda item 4",
        "Human rights situations that require the Council's attention",
        made.heading,
    ]
    assert texts[6].startswith("The Secretary-General has received")
    assert texts[7] == "Accountability for the 1988 prison massacre (synthetic) **"
    assert texts[8:10] == made.paragraphs
    assert texts[10] == f"** Support One, NGO(s) without consultative status, {SHARED}"
    assert texts[11] == FOOTNOTE and len(texts) == 12
    by_text = {p.text: p for p in _paragraphs(out)}
    heading, title = by_text[made.heading], by_text[texts[7]]
    assert heading.runs[0].bold and title.runs[0].bold
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert by_text[made.paragraphs[0]].alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    body_run = by_text[made.paragraphs[0]].runs[0]
    assert body_run.font.name == "Times New Roman" and body_run.font.size.pt == 12
    assert by_text[FOOTNOTE].runs[0].font.size.pt == 10
    assert not any(
        p._p.pPr is not None and p._p.pPr.find(qn("w:bidi")) is not None for p in _paragraphs(out)
    )


def test_not_synthetic_not_marked_and_txt(tmp_path: Path) -> None:
    campaign = statement(is_synthetic=False)
    org(campaign, "General One", "general")
    out = tmp_path / "jws.txt"
    jws.export(campaign, out)
    text = out.read_text(encoding="utf-8")
    assert "SYNTHETIC" not in text
    assert text.startswith("Human Rights Council\n[Session number] session\nAgenda item [number]")
    assert text.rstrip().endswith(FOOTNOTE)
    with pytest.raises(jws.JwsError, match=r"must end in \.docx or \.txt"):
        jws.export(campaign, tmp_path / "jws.pdf")


def test_persian_export_right_to_left(tmp_path: Path) -> None:
    campaign = statement()
    org(campaign, "General One", "general", name_fa="سازمان نخست")
    org(campaign, "Special One", "special")  # no Persian name: the English one
    org(campaign, "Support One", "none", name_fa="حامی یک")
    out = tmp_path / "jws-fa.docx"
    made = jws.export(campaign, out, lang="fa", session=58, agenda_item=4)
    assert made.heading == (
        "بیانیهٔ کتبی مشترک* ارائه‌شده از سوی سازمان نخست، سازمان غیردولتی دارای مقام مشورتی عام، "
        "Special One، سازمان غیردولتی دارای مقام مشورتی ویژه"
    )
    assert made.session == "نشست ۵۸" and made.agenda == "بند ۴ دستور کار"
    assert made.shared.startswith("** حامی یک، سازمان(های) غیردولتی بدون مقام مشورتی")
    assert made.words == 8  # «می‌شویم» is one word
    paragraphs = _paragraphs(out)
    texts = [p.text for p in paragraphs]
    assert "ما خواستار تحقیقی مستقل می\u200cشویم." in texts
    assert texts[0].startswith("ساختگی (Synthetic)")
    for paragraph in paragraphs:
        assert paragraph._p.pPr.find(qn("w:bidi")) is not None, paragraph.text
        for run in paragraph.runs:
            assert run._r.rPr.find(qn("w:rtl")) is not None
    txt = tmp_path / "jws-fa.txt"
    jws.export(campaign, txt, lang="fa")
    assert "دادخواهی ادامه دارد." in txt.read_text(encoding="utf-8")


def test_persian_needs_a_persian_text() -> None:
    campaign = statement()
    org(campaign, "General One", "general")
    CampaignText.objects.filter(campaign=campaign, language="fa").delete()
    with pytest.raises(jws.JwsError, match="no text in 'fa'"):
        jws.build(campaign, "fa")


# ------------------------------------------------------------------ the command


def test_cli_writes_docx_and_refuses_with_exit_2(tmp_path: Path) -> None:
    campaign = statement(words=50)
    org(campaign, "General One", "general")
    org(campaign, "Support One", "none")
    out = tmp_path / "out.docx"
    args = ["campaign", "jws", campaign.slug, "--out", str(out), "--session", "58"]
    result = CliRunner().invoke(main, [*args, "--agenda-item", "4"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert line == {
        "out": str(out),
        "lang": "en",
        "words": 50,
        "limit": 2000,
        "cosponsors": 1,
        "sharing": 1,
    }
    assert "Fifty-eighth session" in [p.text for p in Document(str(out)).paragraphs]
    campaign.word_limit = 10
    campaign.save()
    again = tmp_path / "again.docx"
    refused = CliRunner().invoke(main, ["campaign", "jws", campaign.slug, "--out", str(again)])
    assert refused.exit_code == 2 and "50 words" in refused.output and not again.exists()
    unknown = CliRunner().invoke(main, ["campaign", "jws", "nope", "--out", str(again)])
    assert unknown.exit_code == 2 and "no such campaign" in unknown.output
