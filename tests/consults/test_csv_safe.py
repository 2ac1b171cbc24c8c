"""The CSV export is safe in every spreadsheet locale (OWASP's CSV injection guidance).

A spreadsheet may split a line on `,`, `;` (the default list separator across much of
Europe), tab or `|`: whichever it picks, no cell it makes may begin a formula.
"""

import csv
import io

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from consults.admin import CSV_FORMULA_STARTS, csv_safe
from tests.consults.builders import in_days, make_consult

SEPARATORS = [",", ";", "\t", "|", "\n", "\r"]


def cells_a_spreadsheet_could_make(text):
    """Every cell text would be cut into, whatever separator the spreadsheet splits on."""
    for separator in SEPARATORS:
        yield from text.split(separator)


def starts_a_formula(cell):
    return cell.lstrip(' "')[:1] in set(CSV_FORMULA_STARTS)


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("Kim;=1+1;", "Kim;'=1+1;"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("Sam, =cmd|' /C calc'!A0", "Sam, '=cmd|' /C calc'!A0"),
        ('Jo;"=1+1"', 'Jo;"\'=1+1"'),
        ("a\t@SUM(A1)", "a\t'@SUM(A1)"),
        ("+1 555 0100", "'+1 555 0100"),
        ("Kim Lee", "Kim Lee"),
        ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
    ],
)
def test_examples(typed, exported):
    assert csv_safe(typed) == exported


@given(st.text(alphabet=st.sampled_from(list("ab =+-@;,|\t\r\n\"'＝")), max_size=30))
def test_no_cell_can_begin_a_formula_whatever_the_separator(text):
    safe = csv_safe(text)
    assert not any(starts_a_formula(cell) for cell in cells_a_spreadsheet_could_make(safe))
    # Nothing is lost: taking the added quotes out gives back what was typed.
    assert safe.replace("'", "") == text.replace("'", "")


@pytest.mark.django_db
def test_the_export_defuses_a_formula_hidden_behind_a_semicolon(admin_client):
    consult = make_consult(starts_at=in_days(3), name="Kim;=1+1;")
    response = admin_client.post(
        reverse("admin:consults_consultrequest_changelist"),
        {"action": "export_csv", "_selected_action": [consult.pk]},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == "Kim;'=1+1;"
    for line in response.content.decode().splitlines()[1:]:
        assert not any(starts_a_formula(cell) for cell in cells_a_spreadsheet_could_make(line))
