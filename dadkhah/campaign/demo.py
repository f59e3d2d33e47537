"""The demo's campaigns: a petition and a sign-on statement, both synthetic.

:func:`ensure_demo_campaigns` creates them once (running it again changes nothing). Their
texts were written for the demonstration and say so; the facts they state are those the
demo case cites (docs/demo-case.md: Amnesty International's 2018 report and the UN Special
Rapporteur's 2017 report, A/72/322). No signer is created: visitors sign in the demo.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dadkhah.campaign.models import Campaign, CampaignText

__all__ = ["PETITION_SLUG", "STATEMENT_SLUG", "ensure_demo_campaigns"]

PETITION_SLUG = "demo-1988-investigation"
STATEMENT_SLUG = "demo-1988-hrc-statement"

_DEMO_NOTE_EN = (
    "[Demo text: this campaign is synthetic, written for the demonstration of this software. "
    "It is not a real petition and its signatures are delivered to no one.]"
)
_DEMO_NOTE_FA = (
    "[متن نمایشی: این کارزار ساختگی است و برای نمایش این نرم‌افزار نوشته شده است. "
    "دادخواستی واقعی نیست و امضاهای آن به هیچ جا فرستاده نمی‌شود.]"
)

PETITION_TEXTS = {
    "en": {
        "title": "Call for an independent international investigation of the 1988 prison "
        "massacre (synthetic demo)",
        "summary": "We ask the UN High Commissioner for Human Rights to support an independent "
        "international investigation of the mass executions of political prisoners in Iran "
        "in 1988.",
        "body": (
            f"{_DEMO_NOTE_EN}\n\n"
            "To the UN High Commissioner for Human Rights,\n\n"
            "In the summer of 1988, thousands of political prisoners were forcibly disappeared "
            "and executed in prisons across Iran, between late July and early September, "
            "according to Amnesty International (Blood-soaked secrets, 2018). The UN Special "
            "Rapporteur on the situation of human rights in Iran reported in 2017 (A/72/322) "
            "that the executions were carried out pursuant to a fatwa, that a three-man "
            "commission decided who should be executed, and that the families have a right to "
            "know the truth; the report calls for a thorough and independent investigation.\n\n"
            "Amnesty International describes the continuing concealment of the victims' fate "
            "and of their burial places as ongoing crimes against humanity.\n\n"
            "We ask you to support the establishment of an independent international "
            "investigation of these killings, so that the truth is established, the families "
            "learn what happened to their relatives and where they are buried, and those "
            "responsible are brought to justice."
        ),
    },
    "fa": {
        "title": "درخواست تحقیقی مستقل و بین‌المللی دربارهٔ کشتار زندانیان در ۱۳۶۷ (نمایشی، ساختگی)",
        "summary": "از کمیسر عالی حقوق بشر سازمان ملل می‌خواهیم از تحقیقی مستقل و بین‌المللی "
        "دربارهٔ اعدام دسته‌جمعی زندانیان سیاسی در ایران در تابستان ۱۳۶۷ پشتیبانی کند.",
        "body": (
            f"{_DEMO_NOTE_FA}\n\n"
            "به کمیسر عالی حقوق بشر سازمان ملل،\n\n"
            "به گزارش عفو بین‌الملل (رازهای آغشته به خون، ۲۰۱۸)، در تابستان ۱۳۶۷ (۱۹۸۸)، "
            "از اواخر تیر تا اوایل شهریور، هزاران زندانی سیاسی در زندان‌های سراسر ایران "
            "ناپدید قهری و اعدام شدند. گزارشگر ویژهٔ سازمان ملل دربارهٔ وضعیت حقوق بشر در ایران "
            "در گزارش ۲۰۱۷ خود (A/72/322) نوشت که این اعدام‌ها به استناد یک فتوا انجام شد و "
            "هیئتی سه‌نفره دربارهٔ اعدام افراد تصمیم گرفت، و خانواده‌ها حق دارند حقیقت را "
            "بدانند؛ این گزارش خواستار تحقیقی کامل و مستقل است.\n\n"
            "عفو بین‌الملل پنهان‌کاری ادامه‌دار دربارهٔ سرنوشت قربانیان و محل دفن آنان را "
            "جنایت ادامه‌دار علیه بشریت می‌داند.\n\n"
            "از شما می‌خواهیم از ایجاد سازوکاری مستقل و بین‌المللی برای تحقیق دربارهٔ این "
            "کشتار پشتیبانی کنید تا حقیقت روشن شود، خانواده‌ها بدانند بر عزیزانشان چه گذشت و "
            "کجا به خاک سپرده شده‌اند، و مسئولان در برابر عدالت پاسخ‌گو شوند."
        ),
    },
}

STATEMENT_TEXTS = {
    "en": {
        "title": "Joint statement on the 1988 prison massacre (synthetic demo)",
        "summary": "A sign-on statement for organisations, addressed to the UN Human Rights "
        "Council.",
        "body": (
            f"{_DEMO_NOTE_EN}\n\n"
            "The undersigned organisations draw the Council's attention to the mass executions "
            "of political prisoners in Iran in the summer of 1988. According to Amnesty "
            "International, thousands of prisoners were forcibly disappeared and executed "
            "between late July and early September 1988. The UN Special Rapporteur on the "
            "situation of human rights in Iran (A/72/322, 2017) recalled the families' right "
            "to the truth and called for a thorough and independent investigation.\n\n"
            "We call on the Human Rights Council to establish an independent international "
            "investigation of these killings and of the continuing concealment of the victims' "
            "fate and burial places."
        ),
    },
    "fa": {
        "title": "بیانیهٔ مشترک دربارهٔ کشتار زندانیان در ۱۳۶۷ (نمایشی، ساختگی)",
        "summary": "بیانیه‌ای برای امضای سازمان‌ها، خطاب به شورای حقوق بشر سازمان ملل.",
        "body": (
            f"{_DEMO_NOTE_FA}\n\n"
            "سازمان‌های امضاکننده توجه شورا را به اعدام دسته‌جمعی زندانیان سیاسی در ایران در "
            "تابستان ۱۳۶۷ (۱۹۸۸) جلب می‌کنند. به گزارش عفو بین‌الملل، از اواخر تیر تا اوایل "
            "شهریور ۱۳۶۷ هزاران زندانی ناپدید قهری و اعدام شدند. گزارشگر ویژهٔ سازمان ملل "
            "دربارهٔ وضعیت حقوق بشر در ایران (A/72/322، ۲۰۱۷) حق خانواده‌ها بر دانستن حقیقت را "
            "یادآوری کرد و خواستار تحقیقی کامل و مستقل شد.\n\n"
            "از شورای حقوق بشر می‌خواهیم سازوکاری مستقل و بین‌المللی برای تحقیق دربارهٔ این "
            "کشتار و پنهان‌کاری ادامه‌دار دربارهٔ سرنوشت و محل دفن قربانیان ایجاد کند."
        ),
    },
}


def _ensure(slug: str, texts: dict[str, dict[str, str]], **fields: object) -> tuple[Campaign, bool]:
    with transaction.atomic():
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is not None:
            return campaign, False
        campaign = Campaign.objects.create(slug=slug, is_synthetic=True, **fields)
        for language, text in texts.items():
            CampaignText.objects.create(campaign=campaign, language=language, **text)
    return campaign, True


def ensure_demo_campaigns() -> list[Campaign]:
    """The demo petition (open for a year, goal 1,000) and statement; created once."""
    now = timezone.now()
    year = timedelta(days=365)
    petition, _ = _ensure(
        PETITION_SLUG,
        PETITION_TEXTS,
        kind=Campaign.Kind.PETITION,
        state=Campaign.State.PUBLISHED,
        target_label="UN High Commissioner for Human Rights",
        target_label_fa="کمیسر عالی حقوق بشر سازمان ملل متحد",
        opens_at=now,
        closes_at=now + year,
        goal=1000,
        milestones=[10, 100, 500],
        retention_until=(now + 2 * year).date(),
        moderated_at=now,
        moderation_note="Synthetic demo campaign, published by the demo loader.",
    )
    statement, _ = _ensure(
        STATEMENT_SLUG,
        STATEMENT_TEXTS,
        kind=Campaign.Kind.STATEMENT,
        state=Campaign.State.PUBLISHED,
        target_label="UN Human Rights Council",
        target_label_fa="شورای حقوق بشر سازمان ملل متحد",
        opens_at=now,
        closes_at=now + year,
        word_limit=2000,
        retention_until=(now + 2 * year).date(),
        moderated_at=now,
        moderation_note="Synthetic demo campaign, published by the demo loader.",
    )
    return [petition, statement]
