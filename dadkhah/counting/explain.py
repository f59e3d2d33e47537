"""The report's words, in English and Persian: headings, captions and the plain-language section.

The plain-language section says what the number means, what it assumes (a closed population,
the lists as samples, correct linkage) and what it does not prove. Both languages say the same
thing; the Persian is written for Persian readers, not word for word, and uses Persian digits.

Everything here is plain text: the report escapes it when it builds the page. Numbers are put
in with :func:`number`, which groups thousands and writes Persian digits for ``"fa"``.

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = [
    "LANGS",
    "Facts",
    "Section",
    "digits",
    "headline",
    "label",
    "method_name",
    "number",
    "plain_language",
    "synthetic_note",
]

LANGS = ("en", "fa")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Counting the dead: multiple systems estimation",
        "summary": "Summary",
        "lists": "The lists",
        "list_code": "Code",
        "list_name": "List",
        "list_people": "People on the list",
        "overlap": "Overlap of the lists",
        "methods": "Estimates by method",
        "posterior": "LCMCR posterior",
        "strata": "Estimates by stratum",
        "plain": "In plain words",
        "meaning": "What the number means",
        "assumptions": "What it assumes",
        "limits": "What it does not prove",
        "method": "Method",
        "model": "Model",
        "observed": "Recorded",
        "estimate": "Estimate",
        "interval": "95% interval",
        "diagnostics": "Diagnostics",
        "warnings": "Warnings",
        "stratum": "Stratum",
        "recommended": "recommended",
        "unavailable": "Not available",
        "synthetic": "Synthetic data",
        "generated": "Generated",
        "source": "Capture table",
        "seed": "Random seed",
        "why": "Why this one",
        "overlap_caption": (
            "Each column is one combination of lists. The bar above it counts the people "
            "recorded by exactly that combination; the dots below show which lists it includes. "
            "The bars on the left count the people on each list."
        ),
        "methods_caption": (
            "Each line is one method: the dot is its estimate of the total and the bar its 95% "
            "interval. The dashed line is the number of people the lists record. The "
            "recommended estimate is drawn larger, with its label in bold."
        ),
        "posterior_caption": (
            "The LCMCR model gives a distribution of plausible totals rather than one number. "
            "The histogram shows the sampler's draws; the solid line is the median and the "
            "dotted lines enclose 95% of the draws."
        ),
        "posterior_strata": (
            "The table has strata, so this is the sum of the strata's LCMCR posteriors: the "
            "total when each stratum is estimated on its own."
        ),
        "strata_caption": (
            "Estimates made separately for each stratum (such as a city, prison or period), each "
            "on its own scale. When the chance of being recorded differs between strata, adding "
            "up the strata is more reliable than one estimate for everyone."
        ),
        "no_strata": (
            "No strata were given. Estimates by stratum need a strata column in the capture "
            "table (city, prison or period)."
        ),
        "no_posterior": "The LCMCR posterior is not shown: ",
        "no_lcmcr": "the LCMCR method was not available.",
        "no_draws": "the LCMCR estimate carries no posterior draws.",
        "codes_note": (
            "The plots draw only Latin script, so lists and strata with other names appear "
            "there under their code."
        ),
    },
    "fa": {
        "title": "شمارش جان‌باختگان: برآورد چندفهرستی",
        "summary": "خلاصه",
        "lists": "فهرست‌ها",
        "list_code": "کد",
        "list_name": "فهرست",
        "list_people": "شمار افراد فهرست",
        "overlap": "هم‌پوشانی فهرست‌ها",
        "methods": "برآوردها به تفکیک روش",
        "posterior": "توزیع پسین مدل LCMCR",
        "strata": "برآوردها به تفکیک لایه",
        "plain": "به زبان ساده",
        "meaning": "این عدد چه معنایی دارد",
        "assumptions": "این برآورد بر چه فرض‌هایی تکیه دارد",
        "limits": "آنچه این برآورد ثابت نمی‌کند",
        "method": "روش",
        "model": "مدل",
        "observed": "ثبت‌شده",
        "estimate": "برآورد",
        "interval": "بازهٔ ۹۵ درصدی",
        "diagnostics": "شاخص‌ها",
        "warnings": "هشدارها",
        "stratum": "لایه",
        "recommended": "پیشنهادی",
        "unavailable": "در دسترس نیست",
        "synthetic": "دادهٔ ساختگی",
        "generated": "تاریخ تهیه",
        "source": "جدول ثبت‌ها",
        "seed": "بذر تصادفی",
        "why": "دلیل انتخاب",
        "overlap_caption": (
            "هر ستون یک ترکیب از فهرست‌هاست. میلهٔ بالای هر ستون شمار کسانی را نشان می‌دهد که "
            "دقیقاً در همین ترکیب از فهرست‌ها آمده‌اند و نقطه‌های زیر آن نشان می‌دهند کدام "
            "فهرست‌ها در این ترکیب هستند. میله‌های سمت چپ شمار افراد هر فهرست را نشان می‌دهند."
        ),
        "methods_caption": (
            "هر خط یک روش است: نقطه برآورد آن روش از شمار کل است و نوار، بازهٔ ۹۵ درصدی آن. "
            "خط‌چین شمار کسانی است که در فهرست‌ها ثبت شده‌اند. برآورد پیشنهادی درشت‌تر و "
            "با برچسب پررنگ نشان داده شده است."
        ),
        "posterior_caption": (
            "مدل LCMCR به‌جای یک عدد، توزیعی از مقادیر محتمل برای شمار کل به دست می‌دهد. "
            "هیستوگرام، نمونه‌هایی را نشان می‌دهد که الگوریتم نمونه‌گیری تولید کرده است؛ خط "
            "پیوسته میانه است و خط‌های نقطه‌چین ۹۵ درصد نمونه‌ها را در بر می‌گیرند."
        ),
        "posterior_strata": (
            "جدول لایه‌بندی شده است؛ بنابراین این نمودار جمع توزیع‌های پسین LCMCR لایه‌هاست، "
            "یعنی شمار کل وقتی هر لایه جداگانه برآورد می‌شود."
        ),
        "strata_caption": (
            "این برآوردها برای هر لایه (مثلاً یک شهر، یک زندان یا یک دورهٔ زمانی) جداگانه "
            "انجام شده‌اند و هر کدام مقیاس خود را دارد. وقتی احتمال ثبت‌شدن در لایه‌های مختلف "
            "متفاوت است، جمع برآورد لایه‌ها از یک برآورد کلی برای همه قابل‌اعتمادتر است."
        ),
        "no_strata": (
            "لایه‌ای تعریف نشده است. برای برآورد به تفکیک لایه، جدول ثبت باید ستونی برای لایه "
            "(شهر، زندان یا دوره) داشته باشد."
        ),
        "no_posterior": "توزیع پسین نشان داده نشده است: ",
        "no_lcmcr": "روش LCMCR در دسترس نبود.",
        "no_draws": "برآورد LCMCR نمونه‌های توزیع پسین را همراه ندارد.",
        "codes_note": (
            "نمودارها فقط خط لاتین را نمایش می‌دهند؛ برای همین فهرست‌ها و لایه‌هایی که نامشان "
            "به خط دیگری است، در نمودارها با کدشان آمده‌اند."
        ),
    },
}

METHOD_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "loglinear": "Log-linear model",
        "chapman": "Chapman (two lists)",
        "chao": "Chao lower bound",
        "lcmcr": "LCMCR (Bayesian latent classes)",
        "stratified": "Stratified (sum of strata)",
        "ensemble": "Ensemble of methods",
    },
    "fa": {
        "loglinear": "مدل لگ‌خطی",
        "chapman": "برآوردگر چپمن (دو فهرست)",
        "chao": "کران پایین چائو",
        "lcmcr": "مدل کلاس‌های پنهان بیزی (LCMCR)",
        "stratified": "برآورد لایه‌بندی‌شده (جمع لایه‌ها)",
        "ensemble": "ترکیب روش‌ها",
    },
}


@dataclass(frozen=True)
class Facts:
    """The numbers the plain-language section speaks about."""

    observed: int
    lists: int
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    method: str | None = None
    disagree: bool = False
    unavailable: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Section:
    """A heading, its paragraphs and its points (a bold lead and the text after it)."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    points: tuple[tuple[str, str], ...] = ()


def digits(text: str, lang: str) -> str:
    """``text`` with Persian digits when ``lang`` is ``"fa"``."""
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def number(value: float | None, lang: str = "en") -> str:
    """A whole number with grouped thousands: ``10,452`` / ``۱۰٬۴۵۲``; ``∞`` when unbounded."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞"
    text = f"{round(value):,d}"
    if lang == "fa":
        return digits(text.replace(",", "٬").replace("-", "−"), lang)
    return text


def label(key: str, lang: str) -> str:
    return LABELS[lang][key]


def method_name(method: str, lang: str) -> str:
    return METHOD_NAMES[lang].get(method, method)


def _meaning_en(facts: Facts) -> tuple[str, ...]:
    n = number(facts.observed)
    out = [
        f"Together, the {facts.lists} lists record {n} people, each counted once even if named "
        "on several lists. Every list misses some victims, and some victims are on no list at all.",
        "Multiple systems estimation uses how much the lists overlap — how often people on one "
        "list also appear on the others — to estimate how many people no list recorded. The "
        "less the lists overlap, the more people are estimated to be missing from all of them.",
    ]
    if facts.estimate is None:
        out.append(
            f"No recommended estimate could be made from this table, so this report gives no "
            f"total. The {n} people the lists record are a floor, not an estimate."
        )
    else:
        missing = number(max(facts.estimate - facts.observed, 0.0))
        out.append(
            f"The recommended estimate comes from {method_name(facts.method or '', 'en')}: a "
            f"total of about {number(facts.estimate)} people, with a 95% interval from "
            f"{number(facts.low)} to {number(facts.high)}. Given these lists and the "
            "assumptions below, the true number is very probably within this range, and values "
            "near the middle are more plausible than values near the ends. The total includes "
            f"the {n} people already recorded, so about {missing} would be people whom none of "
            "these lists records."
        )
    if facts.disagree:
        out.append(
            "The methods do not agree on this table: their intervals do not all overlap. Read "
            "the estimate with more caution, and compare the methods in the table above."
        )
    if facts.unavailable:
        names = ", ".join(method_name(m, "en") for m in facts.unavailable)
        out.append(f"Not every method could be used; not available: {names}.")
    return tuple(out)


def _meaning_fa(facts: Facts) -> tuple[str, ...]:
    n = number(facts.observed, "fa")
    k = digits(str(facts.lists), "fa")
    out = [
        f"در مجموع {n} نفر در این {k} فهرست ثبت شده‌اند و هر نفر فقط یک بار شمرده شده است، "
        "حتی اگر نامش در چند فهرست آمده باشد. هر فهرست نام برخی از قربانیان را از قلم انداخته "
        "است و نام برخی دیگر در هیچ فهرستی نیامده است.",
        "روش برآورد چندفهرستی از میزان هم‌پوشانی فهرست‌ها، یعنی اینکه کسانی که در یک فهرست "
        "آمده‌اند تا چه اندازه در فهرست‌های دیگر هم دیده می‌شوند، تخمین می‌زند که چند نفر در "
        "هیچ فهرستی ثبت نشده‌اند. هرچه هم‌پوشانی فهرست‌ها کمتر باشد، شمار کسانی که از همهٔ "
        "فهرست‌ها جا مانده‌اند بیشتر برآورد می‌شود.",
    ]
    if facts.estimate is None:
        out.append(
            "از این جدول هیچ برآورد پیشنهادی به دست نیامد، بنابراین این گزارش عددی برای شمار کل "
            f"ارائه نمی‌کند. {n} نفری که در فهرست‌ها ثبت شده‌اند کمترین شمار ممکن‌اند، نه برآورد."
        )
    else:
        missing = number(max(facts.estimate - facts.observed, 0.0), "fa")
        out.append(
            f"برآورد پیشنهادی از روش «{method_name(facts.method or '', 'fa')}» به دست آمده "
            f"است: شمار کل حدود {number(facts.estimate, 'fa')} نفر است، با بازهٔ ۹۵ درصدی از "
            f"{number(facts.low, 'fa')} تا {number(facts.high, 'fa')} نفر. یعنی با توجه به این "
            "فهرست‌ها و فرض‌هایی که در ادامه آمده است، عدد واقعی به احتمال زیاد در همین بازه "
            "است و عددهای نزدیک به میانهٔ بازه محتمل‌تر از عددهای نزدیک به دو سر آن‌اند. این "
            f"شمار کل، همان {n} نفر ثبت‌شده را هم در بر می‌گیرد؛ بنابراین حدود {missing} نفر "
            "کسانی‌اند که نامشان در هیچ‌یک از این فهرست‌ها نیامده است."
        )
    if facts.disagree:
        out.append(
            "روش‌ها در مورد این جدول هم‌نظر نیستند: بازه‌های آن‌ها همگی با هم هم‌پوشانی ندارند. "
            "این برآورد را با احتیاط بیشتری بخوانید و روش‌ها را در جدول بالا با هم مقایسه کنید."
        )
    if facts.unavailable:
        names = "، ".join(method_name(m, "fa") for m in facts.unavailable)
        out.append(f"همهٔ روش‌ها قابل استفاده نبودند؛ این روش‌ها در دسترس نبودند: {names}.")
    return tuple(out)


ASSUMPTIONS = {
    "en": (
        (
            "A closed population.",
            "All the lists describe one population: the same event, in the same places and "
            "period. If a list also includes people who died at another time or for another "
            "reason, the assumption fails and the estimate describes an unclear mix.",
        ),
        (
            "The lists as samples of that population.",
            "Each list records part of the population. The methods can allow for lists that "
            "depend on each other (one list compiled from another) and for people who are "
            "easier to record than others, but only as far as these patterns show in the "
            "overlaps. If a group of victims — say, the people of a small town, or those whose "
            "families were forced into silence — is missing from every list for the same reason, "
            "no method can see it, and the estimate will be too low. Estimating separately for "
            "each city, prison or period (stratification) helps in such cases.",
        ),
        (
            "Correct linkage.",
            "Deciding that two entries on different lists are the same person must be right. "
            "Missed matches make the lists look less overlapping than they are and push the "
            "estimate up; two different people wrongly counted as one push it down.",
        ),
    ),
    "fa": (
        (
            "جمعیت بسته.",
            "همهٔ فهرست‌ها یک جمعیت واحد را توصیف می‌کنند: یک رویداد، در همان مکان‌ها و همان "
            "دورهٔ زمانی. اگر فهرستی کسانی را هم در بر بگیرد که در زمانی دیگر یا به دلیلی دیگر "
            "جان باخته‌اند، این فرض نقض می‌شود و برآورد به آمیزه‌ای نامشخص مربوط خواهد بود.",
        ),
        (
            "فهرست‌ها به‌منزلهٔ نمونه‌هایی از همان جمعیت.",
            "هر فهرست بخشی از این جمعیت را ثبت کرده است. روش‌ها تا حدی می‌توانند وابستگی میان "
            "فهرست‌ها (مثلاً فهرستی که از روی فهرست دیگر تهیه شده) و تفاوت افراد در احتمال "
            "ثبت‌شدن را در نظر بگیرند، اما فقط تا جایی که این الگوها در هم‌پوشانی فهرست‌ها "
            "پیدا باشند. اگر گروهی از قربانیان، مثلاً اهالی شهری کوچک یا "
            "کسانی که خانواده‌شان ناچار به سکوت بوده‌اند، به یک دلیل مشترک از همهٔ فهرست‌ها جا "
            "مانده باشند، هیچ روشی این را تشخیص نمی‌دهد و برآورد کمتر از واقع خواهد بود. برآورد "
            "جداگانه برای هر شهر، زندان یا دوره (لایه‌بندی) در چنین مواردی کمک می‌کند.",
        ),
        (
            "پیوند درست رکوردها.",
            "تشخیص اینکه دو نام در دو فهرست مختلف به یک نفر تعلق دارند باید درست باشد. اگر "
            "چنین تطابق‌هایی از دست برود، فهرست‌ها کم‌هم‌پوشان‌تر از واقع به نظر می‌رسند و برآورد "
            "بیش از اندازه بالا می‌رود؛ اگر دو فرد متفاوت به اشتباه یک نفر شمرده شوند، برآورد "
            "کمتر از واقع خواهد بود.",
        ),
    ),
}

LIMITS = {
    "en": (
        (
            "It is an estimate, not a count of names.",
            "It is a statistical estimate with uncertainty. It adds no one to the record of the "
            "dead: each person is recorded on evidence, not on a statistic.",
        ),
        (
            "It says nothing about responsibility or about any one person.",
            "It does not say who was responsible, why or how the killings were carried out, or "
            "what happened to any individual.",
        ),
        (
            "The interval depends on the assumptions.",
            "If the assumptions above fail, the true number may lie outside the 95% interval, so "
            "this estimate alone does not rule out a number outside it.",
        ),
        (
            "Methods differ.",
            "Different methods give different numbers. The table of methods shows them side by "
            "side so that their disagreement is not hidden.",
        ),
    ),
    "fa": (
        (
            "این یک برآورد است، نه شمارش نام‌به‌نام.",
            "این برآوردی آماری است و عدم قطعیت دارد. هیچ نامی به فهرست جان‌باختگان نمی‌افزاید: "
            "ثبت هر فرد به مدرک نیاز دارد، نه به آمار.",
        ),
        (
            "دربارهٔ مسئولیت یا سرنوشت هیچ فردی چیزی نمی‌گوید.",
            "این برآورد نمی‌گوید چه کسانی مسئول بودند، این کشتار چرا و چگونه انجام شد، یا بر سر "
            "هر یک از افراد چه آمد.",
        ),
        (
            "بازهٔ ۹۵ درصدی به فرض‌ها وابسته است.",
            "اگر فرض‌های بالا برقرار نباشند، عدد واقعی ممکن است بیرون از این بازه باشد؛ پس این "
            "برآورد به‌تنهایی عددی را که بیرون از بازه است رد نمی‌کند.",
        ),
        (
            "روش‌ها با هم تفاوت دارند.",
            "روش‌های مختلف عددهای متفاوتی به دست می‌دهند. جدول روش‌ها همهٔ آن‌ها را کنار هم "
            "نشان می‌دهد تا اختلافشان پنهان نماند.",
        ),
    ),
}


def synthetic_note(seed: int | None, lang: str, true_total: int | None = None) -> str:
    """The notice every report on an invented table carries (with the simulated truth)."""
    if lang == "fa":
        seed_text = f" (با بذر تصادفی {digits(str(seed), 'fa')})" if seed is not None else ""
        truth = (
            f" جمعیت شبیه‌سازی‌شده {number(true_total, 'fa')} نفر است؛ پس می‌توان برآوردها را "
            "با عدد واقعی مقایسه کرد."
            if true_total is not None
            else ""
        )
        return (
            "این گزارش بر پایهٔ جدولی نمایشی است که با شبیه‌سازی رایانه‌ای"
            f"{seed_text} ساخته شده است. عددهای آن به هیچ شخص یا رویداد واقعی مربوط نیستند." + truth
        )
    seed_text = f" (seed {seed})" if seed is not None else ""
    truth = (
        f" The simulated population has {number(true_total)} people, so the estimates can be "
        "checked against the truth."
        if true_total is not None
        else ""
    )
    return (
        "This report uses a demonstration capture table generated by a computer simulation"
        f"{seed_text}. Its numbers describe no real person or event." + truth
    )


def headline(facts: Facts, lang: str) -> str:
    """One sentence: the recommended estimate and its interval, or why there is none."""
    n = number(facts.observed, lang)
    if lang == "fa":
        if facts.estimate is None:
            return f"برآورد پیشنهادی در دسترس نیست؛ نام {n} نفر در فهرست‌ها ثبت شده است."
        return (
            f"برآورد پیشنهادی: حدود {number(facts.estimate, 'fa')} نفر "
            f"(بازهٔ ۹۵ درصدی: {number(facts.low, 'fa')} تا {number(facts.high, 'fa')})؛ "
            f"نام {n} نفر در فهرست‌ها ثبت شده است."
        )
    if facts.estimate is None:
        return f"No recommended estimate is available; the lists record {n} people."
    return (
        f"Recommended estimate: about {number(facts.estimate)} people "
        f"(95% interval {number(facts.low)} to {number(facts.high)}); the lists record {n}."
    )


def plain_language(facts: Facts, lang: str) -> tuple[Section, ...]:
    """The three parts of the plain-language section in ``lang``."""
    meaning = _meaning_fa(facts) if lang == "fa" else _meaning_en(facts)
    return (
        Section(label("meaning", lang), paragraphs=meaning),
        Section(label("assumptions", lang), points=ASSUMPTIONS[lang]),
        Section(label("limits", lang), points=LIMITS[lang]),
    )
