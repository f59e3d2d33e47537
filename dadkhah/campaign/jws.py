"""A sign-on statement in the layout of a Human Rights Council joint written statement.

The layout follows the Council secretariat's guidelines for NGO written statements
(OHCHR, "Guidelines for NGOs for submission of written statements" and its submission
form) and the statements it publishes (``A/HRC/<session>/NGO/<n>``):

- the session and agenda item, left as placeholders (``[session]``, ``[number]``) unless
  the organizer gives them; agenda titles are the Council's standing agenda (resolution 5/1);
- the heading "Joint written statement* submitted by <co-sponsors>, non-governmental
  organization(s) in general / special consultative status / on the roster": only NGOs
  in ECOSOC consultative status may submit written statements, and co-sponsors are
  grouped, general first, special second, roster third (each group: the names, then its
  status; "a non-governmental organization …" for one, "non-governmental organizations …"
  for several). With a single co-sponsor the heading reads "Written statement* …";
- the secretariat's sentence on ECOSOC resolution 1996/31, the title, the text;
- "<Names>, NGO(s) without consultative status, also share(s) the views expressed in this
  statement." for approved organisations without consultative status (the guidelines put
  it as a note to the title: marked ``**`` on the title here);
- the note "*The present statement is issued, unedited, in the language(s) of submission
  only."

Only approved organisations appear. A synthetic campaign is marked "Synthetic" at the top
(and, in Word, in every page's header).

**Word limit.** ECOSOC resolution 1996/31 (as the guidelines quote it) allows 2,000 words to
NGOs in general consultative status and 1,500 words to NGOs in special consultative status
and on the roster. The limit applied is the smaller of the campaign's ``word_limit``
(default 2,000) and that statutory limit (2,000 when a co-sponsor has general status, else
1,500). Unsure: which co-sponsor's status the secretariat applies to a joint statement
(taken here: the highest), and whether the current online submission system counts
differently; the guidelines count the text "including footnotes/endnotes".

**Counting words** (:func:`count_words`): the statement's text (not its title), in
Persian or English, is split into whitespace-separated tokens after joiners are removed:
ZWNJ (U+200C, the Persian half-space that joins the parts of one word, as in «می‌شود»),
ZWJ, zero-width space, word joiner, soft hyphen and BOM. So «می‌شود» is one word,
"well-known" one, "—" between spaces one (as a word processor counts).

Formats: ``.docx`` (what the secretariat asks for: Times New Roman 12, text justified; the
Persian version right to left) and ``.txt`` (UTF-8). English by default; ``lang="fa"``
exports the Persian text under Persian headings — for circulation, since the Council
takes written statements in English, French or Spanish.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from dadkhah.campaign.models import Campaign, OrgSignature
from dadkhah.campaign.orgs import approved
from dadkhah.core.errors import FieldError

__all__ = [
    "AGENDA",
    "FORMATS",
    "JwsError",
    "LANGUAGES",
    "Statement",
    "build",
    "count_words",
    "export",
    "statutory_limit",
    "to_docx",
    "to_text",
]

FORMATS = (".docx", ".txt")
LANGUAGES = ("en", "fa")
GENERAL_LIMIT = 2000  # ECOSOC resolution 1996/31: NGOs in general consultative status
OTHER_LIMIT = 1500  # special consultative status and roster
FONT = "Times New Roman"

# The Council's standing agenda (Human Rights Council resolution 5/1, annex, part V).
AGENDA: dict[int, tuple[str, str]] = {
    1: ("Organizational and procedural matters", "مسائل سازمانی و رویه‌ای"),
    2: (
        "Annual report of the United Nations High Commissioner for Human Rights and reports "
        "of the Office of the High Commissioner and the Secretary-General",
        "گزارش سالانهٔ کمیسر عالی حقوق بشر سازمان ملل متحد و گزارش‌های دفتر کمیسر عالی و دبیرکل",
    ),
    3: (
        "Promotion and protection of all human rights, civil, political, economic, social "
        "and cultural rights, including the right to development",
        "ارتقا و حمایت از همهٔ حقوق بشر، حقوق مدنی، سیاسی، اقتصادی، اجتماعی و فرهنگی، "
        "از جمله حق توسعه",
    ),
    4: (
        "Human rights situations that require the Council's attention",
        "وضعیت‌های حقوق بشری که نیازمند توجه شوراست",
    ),
    5: ("Human rights bodies and mechanisms", "نهادها و سازوکارهای حقوق بشری"),
    6: ("Universal periodic review", "بررسی دوره‌ای جهانی"),
    7: (
        "Human rights situation in Palestine and other occupied Arab territories",
        "وضعیت حقوق بشر در فلسطین و دیگر سرزمین‌های اشغالی عربی",
    ),
    8: (
        "Follow-up to and implementation of the Vienna Declaration and Programme of Action",
        "پیگیری و اجرای اعلامیه و برنامهٔ عمل وین",
    ),
    9: (
        "Racism, racial discrimination, xenophobia and related forms of intolerance, "
        "follow-up to and implementation of the Durban Declaration and Programme of Action",
        "نژادپرستی، تبعیض نژادی، بیگانه‌هراسی و اشکال مرتبط نابردباری، پیگیری و اجرای "
        "اعلامیه و برنامهٔ عمل دوربان",
    ),
    10: ("Technical assistance and capacity-building", "همکاری فنی و ظرفیت‌سازی"),
}

_JOINERS = dict.fromkeys(map(ord, "\u200c\u200d\u200b\u2060\u00ad\ufeff"), None)
_PARAGRAPHS = re.compile(r"\n\s*\n")
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_UNITS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}

# The fixed wording, by language. {names} is a list already joined.
_WORDING: dict[str, dict[str, str]] = {
    "en": {
        "council": "Human Rights Council",
        "session": "{ordinal} session",
        "session_blank": "[Session number] session",
        "agenda": "Agenda item {n}",
        "agenda_blank": "Agenda item [number]",
        "joint": "Joint written statement* submitted by {cosponsors}",
        "single": "Written statement* submitted by {cosponsors}",
        "general_1": "a non-governmental organization in general consultative status",
        "general_n": "non-governmental organizations in general consultative status",
        "special_1": "a non-governmental organization in special consultative status",
        "special_n": "non-governmental organizations in special consultative status",
        "roster_1": "a non-governmental organization on the roster",
        "roster_n": "non-governmental organizations on the roster",
        "received": (
            "The Secretary-General has received the following written statement which is "
            "circulated in accordance with Economic and Social Council resolution 1996/31."
        ),
        "shared": (
            "** {names}, NGO(s) without consultative status, also share(s) the views "
            "expressed in this statement."
        ),
        "footnote": (
            "*The present statement is issued, unedited, in the language(s) of submission only."
        ),
        "synthetic": (
            "SYNTHETIC — demonstration data: the organisations and the statement are "
            "invented. Not for submission."
        ),
        "circulation": "",
        "comma": ", ",
    },
    "fa": {
        "council": "شورای حقوق بشر",
        "session": "نشست {n}",
        "session_blank": "نشست [شماره]",
        "agenda": "بند {n} دستور کار",
        "agenda_blank": "بند [شماره] دستور کار",
        "joint": "بیانیهٔ کتبی مشترک* ارائه‌شده از سوی {cosponsors}",
        "single": "بیانیهٔ کتبی* ارائه‌شده از سوی {cosponsors}",
        "general_1": "سازمان غیردولتی دارای مقام مشورتی عام",
        "general_n": "سازمان‌های غیردولتی دارای مقام مشورتی عام",
        "special_1": "سازمان غیردولتی دارای مقام مشورتی ویژه",
        "special_n": "سازمان‌های غیردولتی دارای مقام مشورتی ویژه",
        "roster_1": "سازمان غیردولتی ثبت‌شده در فهرست (روستر)",
        "roster_n": "سازمان‌های غیردولتی ثبت‌شده در فهرست (روستر)",
        "received": (
            "دبیرکل بیانیهٔ کتبی زیر را دریافت کرده است که مطابق قطعنامهٔ ۱۹۹۶/۳۱ شورای "
            "اقتصادی و اجتماعی منتشر می‌شود."
        ),
        "shared": (
            "** {names}، سازمان(های) غیردولتی بدون مقام مشورتی، نیز با دیدگاه‌های "
            "بیان‌شده در این بیانیه هم‌نظرند."
        ),
        "footnote": "*این بیانیه بی‌ویرایش و تنها به زبان(های) ارائه‌شده منتشر می‌شود.",
        "synthetic": (
            "ساختگی (Synthetic) — داده‌های نمایشی: سازمان‌ها و بیانیه ساختگی‌اند. برای ارائه نیست."
        ),
        "circulation": (
            "[نسخهٔ فارسی برای انتشار؛ شورا بیانیه‌های کتبی را به انگلیسی، فرانسوی یا "
            "اسپانیایی می‌پذیرد.]"
        ),
        "comma": "، ",
    },
}


class JwsError(FieldError):
    """The statement cannot be exported as it stands; the message says why."""


@dataclass(frozen=True)
class Statement:
    """The statement laid out, in one language; :func:`to_docx` and :func:`to_text` write it."""

    lang: str
    council: str
    session: str
    agenda: str
    agenda_title: str
    heading: str
    received: str
    title: str
    paragraphs: list[str]
    shared: str  # "" when every organisation has consultative status
    footnote: str
    synthetic: str  # "" unless the campaign is synthetic
    circulation: str  # "" in English
    words: int
    limit: int
    cosponsors: list[str] = field(default_factory=list)
    supporters: list[str] = field(default_factory=list)


def count_words(text: str) -> int:
    """Whitespace-separated tokens once joiners (ZWNJ, ZWJ, zero-width space, word joiner,
    soft hyphen, BOM) are removed: the rule in the module docstring."""
    return len(text.translate(_JOINERS).split())


def statutory_limit(statuses: set[str]) -> int:
    """ECOSOC resolution 1996/31: 2,000 words with a co-sponsor in general status, else 1,500."""
    return GENERAL_LIMIT if OrgSignature.Ecosoc.GENERAL in statuses else OTHER_LIMIT


def _ordinal(n: int) -> str:
    """21 → "Twenty-first" (words up to 99, as the UN writes session numbers)."""
    if n < 1:
        raise JwsError(f"session {n}: a session number is 1 or more", "session")
    if n >= 100:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    tens, unit = divmod(n, 10)
    if n < 20:
        word = _UNITS[n]
        ordinal = _ORDINAL_UNITS.get(word, word + "th")
    elif unit == 0:
        ordinal = _TENS[tens][:-1] + "ieth"
    else:
        last = _UNITS[unit]
        ordinal = f"{_TENS[tens]}-{_ORDINAL_UNITS.get(last, last + 'th')}"
    return ordinal[0].upper() + ordinal[1:]


def _name(org: OrgSignature, lang: str) -> str:
    return str((org.name_fa or org.name) if lang == "fa" else org.name)


def _heading(groups: list[tuple[str, list[str]]], words: dict[str, str]) -> str:
    parts: list[str] = []
    for status, names in groups:
        if names:
            phrase = words[f"{status}_1" if len(names) == 1 else f"{status}_n"]
            parts.append(words["comma"].join([*names, phrase]))
    count = sum(len(names) for _status, names in groups)
    template = words["joint"] if count > 1 else words["single"]
    return template.format(cosponsors=words["comma"].join(parts))


def build(
    campaign: Campaign,
    lang: str = "en",
    session: int | None = None,
    agenda_item: int | None = None,
) -> Statement:
    """Lay out ``campaign`` (a sign-on statement) with its approved organisations. Raises
    :class:`JwsError` for a petition, a missing text in ``lang``, no co-sponsor in
    consultative status, or a text over the word limit."""
    if lang not in LANGUAGES:
        raise JwsError(f"language {lang!r}: one of {', '.join(LANGUAGES)}", "lang")
    if campaign.kind != Campaign.Kind.STATEMENT:
        raise JwsError(
            f"{campaign.slug} is a petition; only a sign-on statement exports as a joint "
            "written statement",
            "campaign",
        )
    text = campaign.texts.filter(language=lang).first()
    if text is None:
        raise JwsError(f"{campaign.slug} has no text in {lang!r}; add it first", "lang")
    if agenda_item is not None and agenda_item not in AGENDA:
        raise JwsError(
            f"agenda item {agenda_item}: the Council's agenda items are 1 to {len(AGENDA)}",
            "agenda_item",
        )
    words = _WORDING[lang]
    orgs = approved(campaign)
    groups = [
        (status, [_name(o, lang) for o in orgs if o.ecosoc_status == status])
        for status in ("general", "special", "roster")
    ]
    cosponsors = [name for _status, names in groups for name in names]
    if not cosponsors:
        raise JwsError(
            f"{campaign.slug} has no approved organisation in ECOSOC consultative status "
            "(general, special or roster); only such organisations may submit a written "
            "statement to the Council",
            "organisations",
        )
    supporters = [_name(o, lang) for o in orgs if o.ecosoc_status == OrgSignature.Ecosoc.NONE]
    count = count_words(text.body)
    statutory = statutory_limit({o.ecosoc_status for o in orgs})
    limit = min(campaign.word_limit, statutory)
    if count > limit:
        which = (
            f"the campaign's word limit is {campaign.word_limit:,}"
            if campaign.word_limit <= statutory
            else f"ECOSOC resolution 1996/31 allows {statutory:,} words to these co-sponsors"
        )
        raise JwsError(
            f"the {lang} text of {campaign.slug} has {count:,} words; {which}. "
            f"Shorten it by {count - limit:,} words before exporting",
            "body",
        )
    if session is None:
        session_line = words["session_blank"]
    elif lang == "fa":
        if session < 1:
            raise JwsError(f"session {session}: a session number is 1 or more", "session")
        session_line = words["session"].format(n=str(session).translate(_FA_DIGITS))
    else:
        session_line = words["session"].format(ordinal=_ordinal(session))
    if agenda_item is None:
        agenda_line, agenda_title = words["agenda_blank"], ""
    else:
        number = str(agenda_item).translate(_FA_DIGITS) if lang == "fa" else str(agenda_item)
        agenda_line = words["agenda"].format(n=number)
        agenda_title = AGENDA[agenda_item][1 if lang == "fa" else 0]
    title = text.title.strip() + (" **" if supporters else "")
    return Statement(
        lang=lang,
        council=words["council"],
        session=session_line,
        agenda=agenda_line,
        agenda_title=agenda_title,
        heading=_heading(groups, words),
        received=words["received"],
        title=title,
        paragraphs=[p.strip() for p in _PARAGRAPHS.split(text.body.strip()) if p.strip()],
        shared=words["shared"].format(names=words["comma"].join(supporters)) if supporters else "",
        footnote=words["footnote"],
        synthetic=words["synthetic"] if campaign.is_synthetic else "",
        circulation=words["circulation"],
        words=count,
        limit=limit,
        cosponsors=cosponsors,
        supporters=supporters,
    )


def to_text(statement: Statement) -> str:
    """Plain UTF-8 text: one block a line, a blank line between blocks."""
    blocks = [
        statement.synthetic,
        statement.circulation,
        "\n".join(
            line
            for line in (
                statement.council,
                statement.session,
                statement.agenda,
                statement.agenda_title,
            )
            if line
        ),
        statement.heading,
        statement.received,
        statement.title,
        *statement.paragraphs,
        statement.shared,
        statement.footnote,
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"


_PPR_AFTER_BIDI = (
    "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip
_RPR_AFTER_SZCS = ("w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
    "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish",
    "w:oMath")  # fmt: skip


def _format_run(run: Run, size: int, bold: bool, rtl: bool) -> None:
    """Times New Roman at ``size`` points for Latin and complex scripts alike; right to
    left and Persian for Word's shaping and proofing when ``rtl``. Elements go in the
    order the schema requires."""
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = FONT
    properties = run._r.get_or_add_rPr()
    properties.get_or_add_rFonts().set(qn("w:cs"), FONT)
    if bold:
        properties.get_or_add_bCs()
    size_cs = OxmlElement("w:szCs")
    size_cs.set(qn("w:val"), str(size * 2))
    properties.insert_element_before(size_cs, *_RPR_AFTER_SZCS)
    if rtl:
        properties.get_or_add_rtl()
        language = OxmlElement("w:lang")
        language.set(qn("w:bidi"), "fa-IR")
        properties.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")


def _rtl(paragraph: Paragraph) -> None:
    """Mark a paragraph right to left (w:bidi), as Word does for Persian."""
    properties = paragraph._p.get_or_add_pPr()
    properties.insert_element_before(OxmlElement("w:bidi"), *_PPR_AFTER_BIDI)


def _add(
    container: Any,
    text: str,
    rtl: bool,
    *,
    size: int = 12,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    space_after: int = 6,
) -> Paragraph:
    paragraph: Paragraph = container.add_paragraph()
    if text:
        _format_run(paragraph.add_run(text), size, bold, rtl)
    if rtl:
        _rtl(paragraph)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def to_docx(statement: Statement) -> bytes:
    """A Word file in the secretariat's layout (Times New Roman 12, text justified)."""
    rtl = statement.lang == "fa"
    document = Document()
    document.core_properties.title = statement.title.rstrip(" *")
    document.core_properties.language = statement.lang
    document.core_properties.author = ""
    document.core_properties.comments = "Joint written statement (Human Rights Council layout)"
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    if statement.synthetic:
        first = document.sections[0].header.paragraphs[0]
        _format_run(first.add_run(statement.synthetic), 9, True, rtl)
        if rtl:
            _rtl(first)
        _add(document, statement.synthetic, rtl, bold=True)
    if statement.circulation:
        _add(document, statement.circulation, rtl, size=10)
    for line in (statement.council, statement.session, statement.agenda):
        _add(document, line, rtl, space_after=0)
    if statement.agenda_title:
        _add(document, statement.agenda_title, rtl, space_after=0)
    _add(document, "", rtl)
    _add(document, statement.heading, rtl, bold=True, space_after=12)
    _add(document, statement.received, rtl, space_after=12)
    _add(document, statement.title, rtl, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for text in statement.paragraphs:
        _add(document, text, rtl, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if statement.shared:
        _add(document, statement.shared, rtl, size=10, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _add(document, statement.footnote, rtl, size=10, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def export(
    campaign: Campaign,
    out: Path,
    lang: str = "en",
    session: int | None = None,
    agenda_item: int | None = None,
) -> Statement:
    """Write the statement to ``out`` (``.docx`` or ``.txt``, by its suffix); nothing is
    written when it is refused."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise JwsError(f"{out}: the file must end in {' or '.join(FORMATS)}", "out")
    statement = build(campaign, lang, session, agenda_item)
    data = to_docx(statement) if suffix == ".docx" else to_text(statement).encode("utf-8")
    temp = out.with_name(out.name + ".part")
    temp.write_bytes(data)
    temp.replace(out)
    return statement
