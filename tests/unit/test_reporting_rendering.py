"""Reports as CSV (stable columns) and as printable HTML (escaped, inline SVG, Latvian by default)."""

from __future__ import annotations

import csv
import io
import re

from services.reporting.application.figures import FigureRows, Place, by_municipality
from services.reporting.rendering.charts import BAR_HEIGHT, bar_chart, label_lines
from services.reporting.rendering.csv_export import SUMMARY_COLUMNS, monthly_csv, summary_csv
from services.reporting.rendering.html import charts, render_monthly, render_summary
from services.reporting.rendering.labels import WORDS

ROWS = FigureRows(
    family_days=[("jelgava", [3, 1]), ("balvi", [4])],
    persons=[("jelgava", 3), ("balvi", 1)],
    mediators=[("jelgava", "med-1"), ("balvi", "med-2")],
    activities=[("jelgava", "home_visit", "education", 4, 0), ("balvi", "information_session", "legal", 2, 25)],
    cooperations=[("jelgava", "inst-1", "education", 3, 1, 1)],
    outcomes=[("balvi", "school_enrolled", 1)],
    referrals=[("jelgava", "inst-1", 3, 2, 1, 1)])
NAMES = {"inst-1": "<script>alert('x')</script> skola"}
PLACES = [Place("balvi", "Balvi"), Place("jelgava", "=cmd|' /C calc'!A0")]


def _summary() -> dict:
    return {"from": "2020-01-01", "to": "2020-01-31", "as_of_sequence": 77, **by_municipality(ROWS, PLACES, NAMES)}


def _monthly(narrative: dict | None) -> dict:
    figures = by_municipality(ROWS, PLACES[1:], NAMES)
    return {"mediator_id": "med-1", "mediator_name": "Marta <b>Ozoliņa</b>", "month": "2020-01",
            "from": "2020-01-01", "to": "2020-01-31", "as_of_sequence": 90, "status": "submitted",
            "report_id": "rep-1", "submitted_sequence": 50, "submitted_at": "2020-01-31T16:00:00+02:00",
            "reviewed_at": None, "review_note": None, "narrative": narrative, "figures_as_of_sequence": 50,
            **figures["total"], "municipalities": figures["municipalities"], "amended_after_submission": True,
            "cooperations_list": [], "referrals_list": [], "live": {"as_of_sequence": 90, **figures["total"], "municipalities": figures["municipalities"]}}


def test_the_summary_csv_has_a_row_per_municipality_and_a_total_under_fixed_columns() -> None:
    rows = list(csv.DictReader(io.StringIO(summary_csv(_summary()))))
    assert [r["municipality_id"] for r in rows] == ["balvi", "jelgava", "total"]
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    total = rows[-1]
    assert (total["families_supported"], total["families_regular"], total["families_episodic"]) == ("3", "2", "1")
    assert total["activities_kind_home_visit"] == "4" and total["activities_kind_consultation"] == "0"
    assert total["cooperations_acknowledged"] == "1" and total["outcomes_kind_school_enrolled"] == "1"
    assert total["cooperations_disputed"] == "1" and total["activities_participants"] == "25"
    assert (total["referrals_total"], total["referrals_accepted"], total["referrals_completed"],
            total["referrals_declined"]) == ("3", "2", "1", "1")
    assert SUMMARY_COLUMNS[-6:] == ("cooperations_disputed", "activities_participants", "referrals_total",
                                    "referrals_accepted", "referrals_completed", "referrals_declined")


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    rows = list(csv.DictReader(io.StringIO(summary_csv(_summary()))))
    assert rows[1]["name"].startswith("'=")


def test_the_excel_dialect_has_a_byte_order_mark_and_semicolons_and_the_same_cells() -> None:
    plain, excel = summary_csv(_summary()), summary_csv(_summary(), dialect="excel")
    assert excel.startswith("\ufeff") and not plain.startswith("\ufeff")
    assert excel.splitlines()[0] == "\ufeff" + ";".join(SUMMARY_COLUMNS)
    assert list(csv.DictReader(io.StringIO(excel[1:]), delimiter=";")) == list(csv.DictReader(io.StringIO(plain)))
    # Latvian text survives the trip through bytes, as a spreadsheet reads them
    monthly = monthly_csv(_monthly(None), "by_institution", "excel").encode()
    assert monthly.startswith(b"\xef\xbb\xbf") and "skola".encode() in monthly


def test_the_monthly_csv_says_whose_month_and_as_of_which_sequence() -> None:
    rows = list(csv.DictReader(io.StringIO(monthly_csv(_monthly(None)))))
    assert [(r["mediator_id"], r["month"], r["status"], r["figures_as_of_sequence"], r["municipality_id"])
            for r in rows] == [("med-1", "2020-01", "submitted", "50", "jelgava"),
                               ("med-1", "2020-01", "submitted", "50", "total")]


def test_the_by_institution_csv_has_a_row_per_institution_in_each_municipality() -> None:
    rows = list(csv.DictReader(io.StringIO(summary_csv(_summary(), "by_institution"))))
    assert rows == [{"from": "2020-01-01", "to": "2020-01-31", "as_of_sequence": "77", "municipality_id": "jelgava",
                     "institution_id": "inst-1", "name": "<script>alert('x')</script> skola", "cooperations": "3",
                     "acknowledged": "1", "disputed": "1"}]
    monthly = list(csv.DictReader(io.StringIO(monthly_csv(_monthly(None), "by_institution"))))
    assert [(r["mediator_id"], r["figures_as_of_sequence"], r["institution_id"], r["cooperations"]) for r in monthly] \
        == [("med-1", "50", "inst-1", "3")]


def test_the_printable_summary_is_latvian_by_default_with_inline_charts_and_nothing_to_fetch() -> None:
    page = render_summary(_summary(), "lv", None)
    assert '<html lang="lv">' in page and "Romu mediatoru darba pārskats" in page
    assert "Atbalstītās romu ģimenes" in page and "visas pašvaldības" in page and "mājas apmeklējums" in page
    assert "iestāde apstrīdējusi" in page
    assert re.search(r"Nosūtījumi uz iestādēm</td><td>0</td><td>3</td><td>3</td></tr>", page), page
    assert re.search(r"iestāde atzīmējusi kā izpildītus</td><td>0</td><td>1</td><td>1</td></tr>", page), page
    assert re.search(r"dalībnieki kopā \(visās aktivitātēs\)</td>(<td>\d+</td>)*<td>25</td></tr>", page), page
    assert page.count("<svg") >= 3
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_printable_summary_escapes_names() -> None:
    page = render_summary(_summary(), "en", "balvi")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; skola" in page
    assert "<script>" not in page
    assert "Roma mediators&#39; work: summary" in page and "Balvi" in page


def test_the_printable_monthly_report_has_the_header_the_narrative_and_the_live_figures() -> None:
    narrative = {"main_issues": "Skolas <kavējumi>", "glad_about": "Darbs", "challenges": "Valoda",
                 "next_priorities": "NVA"}
    page = render_monthly(_monthly(narrative), "lv")
    for text in ("2020-01", "Marta &lt;b&gt;Ozoliņa&lt;/b&gt; (med-1)", "iesniegts", "Skolas &lt;kavējumi&gt;",
                 "Pamatjautājumi, ar kuriem nākas strādāt…", "Ir prieks par…", "Lielākie izaicinājumi bija…",
                 "Turpmākajā darbā svarīgākais būs…", "Pēc iesniegšanas reģistrēti"):
        assert text in page
    assert "The main issues I have to work on…" in render_monthly(_monthly(narrative), "en")
    assert "<dd>2020-01-31 16:00</dd>" in page  # to the minute, as a person reads it on paper


def test_a_draft_month_says_the_report_is_not_yet_submitted() -> None:
    report = {**_monthly(None), "status": "draft", "amended_after_submission": False}
    report.pop("live")
    page = render_monthly(report, "lv")
    assert "Pārskats vēl nav iesniegts." in page and "sagatave" in page


def test_bars_are_scaled_to_the_largest_value_and_show_the_highlighted_part() -> None:
    chart = bar_chart("Sadarbība", [("skola", 4), ("dienests", 2)], [1, 0])
    assert [(b.label, b.width, b.part_width) for b in chart.bars] == [("skola", 330.0, 82.5), ("dienests", 165.0, 0.0)]
    assert bar_chart("tukšs", {}).bars == ()


def test_institutions_of_the_same_name_keep_their_own_bars_and_acknowledgements() -> None:
    rows = FigureRows(cooperations=[("riga", "inst-riga-bt", "legal", 2, 1, 0), ("valmiera", "inst-valmiera-bt", "legal", 1, 0, 0)])
    names = {"inst-riga-bt": "Bāriņtiesa", "inst-valmiera-bt": "Bāriņtiesa"}
    report = by_municipality(rows, [Place("riga", "Rīga"), Place("valmiera", "Valmiera")], names)
    chart = charts(report["total"], WORDS["lv"])[2]
    assert [(b.label, b.value, b.part) for b in chart.bars] == [
        ("Bāriņtiesa (inst-riga-bt)", 2, 1), ("Bāriņtiesa (inst-valmiera-bt)", 1, 0)]


def test_the_header_says_municipality_before_one_name_and_municipalities_before_several() -> None:
    one = render_monthly(_monthly(None), "lv")
    assert "<dt>Pašvaldība</dt><dd>=cmd|&#39; /C calc&#39;!A0</dd>" in one
    figures = by_municipality(ROWS, PLACES, NAMES)
    both = {**_monthly(None), "municipalities": figures["municipalities"]}
    assert "<dt>Pašvaldības</dt><dd>Balvi, =cmd" in render_monthly(both, "lv")
    assert "<dt>Municipalities</dt><dd>Balvi, =cmd" in render_monthly(both, "en")
    assert "<dt>Municipality</dt><dd>Balvi</dd>" in render_summary(_summary(), "en", "balvi")
    assert "<dt>Pašvaldības</dt><dd>visas pašvaldības</dd>" in render_summary(_summary(), "lv", None)
    scoped = {**_summary(), "figures_limited_to": ["balvi", "jelgava"]}
    assert "<dt>Pašvaldības</dt><dd>Balvi, =cmd" in render_summary(scoped, "lv", None)


LONG = "Viļakas novada Izglītības un bērnu tiesību aizsardzības nodaļa"


def test_a_long_label_wraps_onto_whole_word_lines_and_its_row_grows_to_hold_them() -> None:
    assert label_lines(LONG) == ("Viļakas novada Izglītības un bērnu", "tiesību aizsardzības nodaļa")
    assert label_lines("x" * 50) == ("x" * 40, "x" * 10)  # a word longer than a line is split, not cut
    chart = bar_chart("Sadarbība", [(LONG, 3), ("Bāriņtiesa", 2)])
    long, short = chart.bars
    assert long.lines == label_lines(LONG) and short.lines == ("Bāriņtiesa",)
    assert long.y + BAR_HEIGHT <= short.y and long.height > short.height  # rows never overlap
    assert chart.height == long.height + short.height + 4
    # the bar is centred on its label, whatever the number of lines
    for bar in chart.bars:
        top = bar.label_y - 10
        bottom = bar.label_y + (len(bar.lines) - 1) * chart.line_height
        assert abs((bar.y + BAR_HEIGHT / 2) - (top + bottom) / 2) <= 2


def test_a_printed_chart_shows_every_word_of_a_long_name_as_tspan_lines() -> None:
    rows = FigureRows(cooperations=[("vilaka", "inst-v", "education", 2, 1, 0)], outcomes=[
        ("vilaka", "low_income_status_granted", 1)])
    figures = by_municipality(rows, [Place("vilaka", "Viļaka")], {"inst-v": LONG})
    report = {**_monthly(None), **figures["total"], "municipalities": figures["municipalities"]}
    page = render_monthly(report, "lv")
    assert "…" not in page
    assert ">Viļakas novada Izglītības un bērnu</tspan><tspan" in page and ">tiesību aizsardzības nodaļa</tspan>" in page
    assert ">piešķirts trūcīgas vai maznodrošinātas</tspan><tspan" in page
    assert render_monthly(report, "lv") == page  # the same bytes every time


def _later(figures: dict, acknowledged: int, activities: int) -> dict:
    """Figures with more acknowledged cooperations and more activities (of the one municipality)."""
    return {**figures, "cooperations": {**figures["cooperations"],
                                        "acknowledged": figures["cooperations"]["acknowledged"] + acknowledged},
            "activities": {**figures["activities"], "total": figures["activities"]["total"] + activities}}


def _acknowledged_later(more: int, activities: int = 0) -> dict:
    report = _monthly(None)
    live = _later(report["live"], more, activities)
    live["municipalities"] = [_later(m, more, activities) for m in report["live"]["municipalities"]]
    return {**report, "live": live}


def test_when_institutions_only_acknowledged_since_submission_the_page_says_so_and_how_many() -> None:
    page = render_monthly(_acknowledged_later(2), "lv")
    assert "Pēc iesniegšanas iestādes apstiprināja vēl 2 sadarbības. (Dati līdz notikumam Nr. 90)" in page
    assert "Pēc iesniegšanas reģistrēti" not in page and page.count('class="figures"') == 1
    assert "vēl 1 sadarbību." in render_monthly(_acknowledged_later(1), "lv")
    assert "Since submission, institutions acknowledged 2 more cooperations." in render_monthly(
        _acknowledged_later(2), "en")
    other = render_monthly(_acknowledged_later(2, activities=1), "lv")
    assert "Pēc iesniegšanas reģistrēti vēl notikumi" in other and "apstiprināja vēl" not in other


def _cooperation(n: int, sequence: int, answer: dict | None) -> dict:
    return {"cooperation_id": f"co-{n}", "sequence": sequence, "time": f"2020-01-{10 + n}T09:30:00+02:00",
            "date": f"2020-01-{10 + n}", "municipality_id": "jelgava",
            "mediator": {"mediator_id": "med-1", "name": "Marta"},
            "institution": {"institution_id": "inst-1", "name": f"Skola {n}"},
            "contact": {"contact_id": "c1", "name": "Inese Kļaviņa", "role": "sociālā pedagoģe"},
            "domain": "education", "channel": "commission_meeting", "purpose": f"kavējumi <{n}>",
            "status": answer["status"] if answer else "recorded", "answer": answer}


def _answer(status: str, sequence: int, text: str | None = None) -> dict:
    return {"status": status, "at": "2020-02-03T11:00:00+02:00", "sequence": sequence,
            "contact": {"contact_id": "c2", "name": "Direktore", "role": "direktore"},
            ("note" if status == "acknowledged" else "reason"): text}


COOPERATIONS = [_cooperation(1, 20, _answer("acknowledged", 60)),
                _cooperation(2, 30, _answer("disputed", 45, "<b>Tādas</b> tikšanās nebija")),
                _cooperation(3, 70, None)]


def test_the_monthly_page_names_each_cooperations_institution_person_and_answer_in_time_order() -> None:
    page = render_monthly({**_monthly(None), "cooperations_list": COOPERATIONS}, "lv")
    ledger = page[page.index("<h2>Sadarbība ar iestādēm</h2>"):]
    assert ledger.index("Skola 1") < ledger.index("Skola 2") < ledger.index("Skola 3")
    assert "Inese Kļaviņa (sociālā pedagoģe)" in ledger and "komisijas sēde" in ledger and "izglītība" in ledger
    assert "kavējumi &lt;1&gt;" in ledger and "2020-01-11 09:30" in ledger
    assert "apstiprināta 2020-02-03 11:00, Direktore <span class=\"note\">(pēc iesniegšanas)</span>" in ledger
    # the institution's own words, escaped; a dispute answered before submission is not marked
    assert "apstrīdēta 2020-02-03 11:00, Direktore<br>&lt;b&gt;Tādas&lt;/b&gt; tikšanās nebija" in ledger
    assert ledger.count("reģistrēta pēc iesniegšanas") == 1 and "vēl nav atbildes" in ledger
    assert "līdz notikumam Nr. 90" in ledger and "līdz pārskata iesniegšanai (notikums Nr. 50)" in ledger
    english = render_monthly({**_monthly(None), "cooperations_list": COOPERATIONS}, "en")
    assert "<h2>Cooperation with institutions</h2>" in english and "disputed 2020-02-03 11:00" in english


def _referral(n: int, sequence: int, status: str, at: str | None = None, note: str | None = None) -> dict:
    steps = {f"{s}_{part}": None for s in ("accepted", "completed", "declined") for part in ("at", "note")}
    if status != "made":
        steps |= {f"{status}_at": at, f"{status}_note": note}
    return {"referral_id": f"r-{n}", "sequence": sequence, "time": f"2020-01-{10 + n}T14:00:00+02:00",
            "municipality_id": "jelgava", "mediator": {"mediator_id": "med-1", "name": "Marta"},
            "institution": {"institution_id": "inst-2", "name": f"Sociālais dienests {n}"},
            "service": f"trūcīgas mājsaimniecības statuss <{n}>", "status": status, **steps}


def test_the_monthly_page_lists_the_referrals_and_how_far_each_has_gone() -> None:
    referrals = [_referral(1, 20, "completed", "2020-02-10T10:00:00+02:00", "<i>piešķirts</i>"),
                 _referral(2, 30, "declined", "2020-01-20T12:00:00+02:00"), _referral(3, 70, "made")]
    page = render_monthly({**_monthly(None), "referrals_list": referrals}, "lv")
    listed = page[page.index("<h2>Nosūtījumi uz iestādēm</h2>"):]
    assert listed.index("Sociālais dienests 1") < listed.index("Sociālais dienests 2") < listed.index("dienests 3")
    assert "trūcīgas mājsaimniecības statuss &lt;1&gt;" in listed
    assert "izpildīts 2020-02-10 10:00<br>&lt;i&gt;piešķirts&lt;/i&gt;" in listed
    assert "noraidīts 2020-01-20 12:00" in listed and 'nosūtīts, <span class="note">vēl nav atbildes</span>' in listed
    assert listed.count("reģistrēts pēc iesniegšanas") == 1 and "līdz notikumam Nr. 90" in listed
    english = render_monthly({**_monthly(None), "referrals_list": referrals}, "en")
    assert "<h2>Referrals to institutions</h2>" in english and "completed 2020-02-10 10:00" in english
    empty = render_monthly(_monthly(None), "lv")
    listed = empty[empty.index("<h2>Nosūtījumi uz iestādēm</h2>"):]
    assert "<table" not in listed and '<p class="note">nav</p>' in listed  # a month without any says so


def test_a_draft_months_cooperation_table_is_as_of_now_and_marks_nothing_as_late() -> None:
    report = {**_monthly(None), "status": "draft", "submitted_sequence": None, "submitted_at": None,
              "amended_after_submission": False, "cooperations_list": COOPERATIONS}
    report.pop("live")
    page = render_monthly(report, "lv")
    assert "pēc iesniegšanas" not in page and "līdz pārskata iesniegšanai" not in page
    assert "Sadarbība ar iestādēm" in render_monthly({**report, "cooperations_list": []}, "lv")
