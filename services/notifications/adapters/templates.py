"""Jinja2 templates: the email text and the answer page (HTML, autoescaped)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.words import DOMAINS, latvian_count
from services.notifications.domain import wording

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_SUBJECTS = {
    "tilts.cooperation.recorded": ("Romu mediatora sadarbība ar jūsu iestādi",
                                   "A Roma mediator's cooperation with your institution"),
    "tilts.referral.made": ("Romu mediatora nosūtījums jūsu iestādei", "A referral from a Roma mediator"),
}
_ANSWER_SUBJECT = ("Atbilde reģistrēta", "An answer was recorded")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")


def single_blank_lines(text: str) -> str:
    """At most one blank line between paragraphs. Jinja's whitespace control around optional
    blocks (a digest's summary, an item's rows) is easy to get wrong by a line; the rule that a
    message never shows two blank lines in a row is kept here, once, whatever the template does."""
    return _BLANK_LINES.sub("\n\n", text)


def _environment(html: bool) -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                              autoescape=select_autoescape(["html"]) if html else False)
    environment.globals.update(riga_time=wording.riga_time, words=wording.words, latvian_count=latvian_count,
                               DOMAINS=DOMAINS,
                               CHANNELS=wording.CHANNELS, STATES=wording.STATES, ACTIONS=wording.ACTIONS)
    return environment


class Templates:
    """Renders messages and pages (loaded once, at start)."""

    def __init__(self) -> None:
        self._email = _environment(html=False).get_template("email.txt")
        self._page = _environment(html=True).get_template("ack.html")

    def email(self, items: list[dict[str, Any]]) -> tuple[str, str]:
        """(subject, text): Latvian first, English below; several items make a digest."""
        if len(items) > 1:
            lv = f"{latvian_count(len(items), 'paziņojums', 'paziņojumi')} par jūsu iestādi"
            en = f"{len(items)} notices about your institution"
        else:
            lv, en = _SUBJECTS.get(items[0]["type"], _ANSWER_SUBJECT)
        return f"Tilts: {lv} / {en}", single_blank_lines(self._email.render(items=items))

    def page(self, **context: Any) -> str:
        """The answer page (see templates/ack.html for what it takes)."""
        return self._page.render(**context)
