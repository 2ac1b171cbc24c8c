"""Where to turn in a crisis, by the practice's country: the wording of the crisis notice.

Every page (templates/includes/crisis_notice.html) and every email to a visitor
(templates/consults/email/_crisis.*) says it, from PracticeProfile.crisis. The table
below is the one place the numbers live; each entry names its source. Editing it needs
no migration: PracticeProfile.country takes its choices from country_choices().

The 503 page (core.resilience) is drawn while the database is away, so it cannot read
the profile: it shows the last notice this process drew (last_seen()), or, in a process
that has drawn none yet, GENERIC, which names the US, UK/Irish and EU numbers.
"""

import re
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join


@dataclass(frozen=True)
class Number:
    """A number to call (tel:) or text (sms:), shown as people write it."""

    shown: str
    scheme: str = "tel"

    def __str__(self):
        return self.shown

    def link(self, style=""):
        digits = "".join(ch for ch in self.shown if ch.isdigit() or ch == "+")
        return _link(f"{self.scheme}:{digits}", self.shown, style)


@dataclass(frozen=True)
class Web:
    """A website, shown without its scheme."""

    address: str

    def __str__(self):
        return self.address

    def link(self, style=""):
        return _link(f"https://{self.address}", self.address, style)


def _link(href, shown, style):
    if style:
        return format_html('<a href="{}" style="{}">{}</a>', href, style, shown)
    return format_html('<a href="{}">{}</a>', href, shown)


def call(number):
    return Number(number)


def text(number):
    return Number(number, "sms")


@dataclass(frozen=True)
class Country:
    """One row of the table: the country's name (after "In"), what to do, the emergency number.

    `lines` and `emergency` are sequences of plain text and Number/Web parts, read in order.
    """

    name: str
    lines: tuple
    emergency: tuple


# fmt: off
COUNTRIES = {
    # 988lifeline.org (SAMHSA): call or text 988, or chat at 988lifeline.org; veterans press 1
    # for the Veterans Crisis Line (veteranscrisisline.net). 911: emergency services.
    "US": Country(
        "the United States",
        ("call or text ", call("988"), " or chat at ", Web("988lifeline.org"),
         " (988 Suicide & Crisis Lifeline; veterans, press 1)"),
        (call("911"),),
    ),
    # nhs.uk "Where to get urgent help for mental health": NHS 111, option 2 for mental health
    # in England; samaritans.org: 116 123, free, any time; 999: emergency services.
    "GB": Country(
        "the United Kingdom",
        ("call NHS ", call("111"), " (in England, choose option 2 for mental health) or Samaritans on ",
         call("116 123"), ", free, any time"),
        (call("999"),),
    ),
    # 988.ca (Public Health Agency of Canada): call or text 9-8-8, the Suicide Crisis Helpline.
    "CA": Country(
        "Canada",
        ("call or text ", call("9-8-8"), " (Suicide Crisis Helpline)"),
        (call("911"),),
    ),
    # samaritans.org (Ireland): 116 123, free, any time; textaboutit.ie: text HELLO to 50808;
    # gov.ie: 112 or 999 for emergency services.
    "IE": Country(
        "Ireland",
        ("call Samaritans on ", call("116 123"), ", free, any time, or text HELLO to ",
         text("50808")),
        (call("112"), " or ", call("999")),
    ),
    # telefonseelsorge.de: 0800 111 0 111, free, any time; 112: the EU emergency number.
    "DE": Country(
        "Germany",
        ("call TelefonSeelsorge on ", call("0800 111 0 111"), ", free, any time"),
        (call("112"),),
    ),
    # 3114.fr: 3114, the national suicide prevention line, free, any time; 112.
    "FR": Country(
        "France",
        ("call ", call("3114"), " (numéro national de prévention du suicide), free, any time"),
        (call("112"),),
    ),
    # 113.nl: call 113, or 0800-0113 free of charge; 112.
    "NL": Country(
        "the Netherlands",
        ("call 113 Zelfmoordpreventie on ", call("113"), ", or free on ", call("0800-0113")),
        (call("112"),),
    ),
    # sanidad.gob.es: Línea 024, care for suicidal behaviour, free, any time; 112.
    "ES": Country(
        "Spain",
        ("call ", call("024"), " (Línea 024), free, any time"),
        (call("112"),),
    ),
    # zelfmoord1813.be: the Zelfmoordlijn, 1813; 112.
    "BE": Country(
        "Belgium",
        ("call the Zelfmoordlijn on ", call("1813")),
        (call("112"),),
    ),
    # telefonseelsorge.at: 142, free, any time; 112.
    "AT": Country(
        "Austria",
        ("call TelefonSeelsorge on ", call("142"), ", free, any time"),
        (call("112"),),
    ),
}
# fmt: on

OTHER = "other"
DEFAULT = "US"

# For the 503 page before this process has drawn any notice (see the module's docstring).
GENERIC = Country(
    "",
    (
        "call your local emergency number or a crisis line where you are (in the US, call or text ",
        call("988"),
        "; in the UK and Ireland, Samaritans on ",
        call("116 123"),
        "; in the EU, ",
        call("112"),
        ")",
    ),
    (),
)


def country_choices():
    """The profile's country choices: the table's countries, then "another country"."""
    named = sorted(COUNTRIES.items(), key=lambda item: item[1].name.removeprefix("the "))
    return [
        *((code, country.name.removeprefix("the ")) for code, country in named),
        (OTHER, "Another country (type your local numbers below)"),
    ]


# Emails cannot use the site's stylesheet: their links carry the colour themselves.
EMAIL_LINK_STYLE = "color:#2f6656;"


def _joined(parts, style):
    """Text and Number/Web parts as HTML: text escaped, numbers and sites as links."""
    return format_html_join(
        "", "{}", ((part if isinstance(part, str) else part.link(style),) for part in parts)
    )


@dataclass(frozen=True)
class Notice:
    """The crisis wording for one practice, as HTML (with tel: links) and as plain text."""

    country: Country

    def sentences(self):
        country = self.country
        where = [f"In {country.name}, " if country.name else "Please "]
        sentences = [[*where, *country.lines, "."]]
        if country.emergency:
            elsewhere = " Elsewhere, call your local emergency number." if country.name else ""
            danger = ["If you are in immediate danger, call ", *country.emergency, ".", elsewhere]
            sentences.append(danger)
        return sentences

    def _html(self, style):
        return format_html_join(" ", "{}", ((_joined(s, style),) for s in self.sentences()))

    @property
    def html(self):
        return self._html("")

    @property
    def email_html(self):
        return self._html(EMAIL_LINK_STYLE)

    @property
    def text(self):
        return " ".join("".join(map(str, sentence)) for sentence in self.sentences())

    def __str__(self):
        return self.text


_last_seen = None


def notice_for(code, emergency_number="", crisis_line=""):
    """The notice for a country code; for OTHER, the therapist's own two numbers.

    Remembered as this process's last one, for the 503 page.
    """
    global _last_seen
    if code != OTHER:
        country = COUNTRIES.get(code, COUNTRIES[DEFAULT])
    elif emergency_number.strip() and crisis_line.strip():
        country = Country("", ("call ", *linkify(crisis_line)), (call(emergency_number.strip()),))
    else:  # the profile's form requires both; a row changed some other way still says something
        country = GENERIC
    _last_seen = Notice(country)
    return _last_seen


def last_seen():
    """The last notice this process drew, or the generic one (see the module's docstring)."""
    return _last_seen or Notice(GENERIC)


NUMBER = re.compile(r"(\+?\d[\d ()\-]*\d)")


def linkify(line):
    """A line the therapist typed, with its phone numbers as Number parts."""
    parts = NUMBER.split(line.strip().rstrip("."))
    return tuple(call(part) if index % 2 else part for index, part in enumerate(parts) if part)
