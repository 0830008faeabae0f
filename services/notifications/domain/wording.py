"""The words messages and pages use: Latvian first, English below."""

from __future__ import annotations

from datetime import datetime

from shared.riga import in_riga
from shared.words import CHANNELS, COOPERATION_ANSWERS, REFERRAL_STATES  # noqa: F401 (CHANNELS: the templates)

ACTIONS = {
    "acknowledge": ("Apstiprināt", "Acknowledge"), "dispute": ("Apstrīdēt", "Dispute"),
    "accept": ("Pieņemt", "Accept"), "decline": ("Noraidīt", "Decline"),
    "complete": ("Atzīmēt kā izpildītu", "Mark as completed"),
}
STATES = {**COOPERATION_ANSWERS, **REFERRAL_STATES}


def riga_time(value: str | datetime) -> tuple[str, str]:
    """('14.01.2020. 10:00', '2020-01-14 10:00') in Riga time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = in_riga(moment)
    return local.strftime("%d.%m.%Y. %H:%M"), local.strftime("%Y-%m-%d %H:%M")


def words(table: dict[str, tuple[str, str]], key: str | None) -> tuple[str, str]:
    """Latvian and English for a key, or the key itself where the table has no entry."""
    return table.get(key or "", (key or "", key or ""))

PAGE_TITLES = {
    "cooperation": ("Sadarbības apstiprināšana", "Confirming a cooperation"),
    "referral": ("Nosūtījuma apstrāde", "Answering a referral"),
    None: ("Atbilde romu mediatoram", "Answering a Roma mediator"),
}
TEXT_LABELS = {
    "cooperation": ("Piezīme; apstrīdot — iemesls (obligāts)", "Note; when disputing, the reason (required)"),
    "referral": ("Piezīme (nav obligāta)", "Note (optional)"),
}
MESSAGES = {
    "answered": ("Paldies! Jūsu atbilde ir reģistrēta.", "Thank you! Your answer has been recorded."),
    "accepted": ("Paldies! Nosūtījums pieņemts. Kad pakalpojums sniegts, atzīmējiet to šeit.",
                 "Thank you! The referral is accepted. When the service has been provided, mark it here."),
    # True however it was answered: with this link, another notice's link, or the institution's system.
    "already": ("Uz šo jau ir atbildēts (izmantojot šo vai citu paziņojumu vai iestādes sistēmu).",
                "This has already been answered (through this or another notice, or the institution's system)."),
    "expired": ("Saites derīguma termiņš ir beidzies.", "This link has expired."),
    "invalid": ("Saite nav derīga.", "This link is not valid."),
    "revoked": (("Šī saite vairs nedarbojas: paziņojumu abonements, uz kuru šis paziņojums tika nosūtīts, ir dzēsts. "
                 "Lūdzu, sazinieties ar darbinieku, kurš jūsu iestādē pārvalda sistēmas Tilts paziņojumus, vai "
                 "atbildiet, izmantojot iestādes sistēmu (API)."),
                ("This link no longer works: the subscription this notice was sent to has been removed. Please ask "
                 "whoever manages Tilts notifications at your institution, or answer through the institution's "
                 "system (API).")),
    "unavailable": ("Atbildi šobrīd nevar reģistrēt. Lūdzu, mēģiniet vēlreiz pēc minūtes.",
                    "The answer cannot be recorded right now. Please try again in a minute."),
    "unreadable": ("Paziņojumu šobrīd nevar parādīt. Lūdzu, mēģiniet vēlreiz pēc minūtes.",
                   "The notice cannot be shown right now. Please try again in a minute."),
    "refused": ("Atbildi nevarēja reģistrēt.", "The answer could not be recorded."),
}
# Why a form's answer was refused, by InvalidAnswer.code; {…} are filled from its context.
PROBLEMS = {
    "missing": ("Lūdzu, norādiet iemeslu.", "Please give a reason."),
    "action": ("Šo atbildi tagad nevar sniegt. Lūdzu, izvēlieties kādu no pogām.",
               "This answer cannot be given now. Please choose one of the buttons."),
    "string_too_long": ("Teksts ir par garu: ne vairāk kā {max_length} rakstzīmes.",
                        "The text is too long: at most {max_length} characters."),
    "string_too_short": ("Teksts ir tukšs vai satur tikai neredzamas rakstzīmes.",
                         "The text is empty or holds only invisible characters."),
    "text_control_character": ("Tekstā ir vadības rakstzīmes, kuras nevar saglabāt.",
                               "The text contains control characters that cannot be stored."),
    "text_bidi_control": ("Tekstā ir teksta virziena vadības rakstzīmes, kuras nevar saglabāt.",
                          "The text contains bidirectional override or isolate characters that cannot be stored."),
    "text_surrogate": ("Tekstā ir rakstzīmes, kuras nevar saglabāt.",
                       "The text contains characters that cannot be stored."),
    "text_noncharacter": ("Tekstā ir rakstzīmes, kuras nevar saglabāt.",
                          "The text contains characters that cannot be stored."),
}
_ANY_PROBLEM = ("Atbilde nav derīga: {detail}", "The answer is not valid: {detail}")


def problem_words(code: str, detail: str, context: dict) -> tuple[str, str]:
    """Latvian and English for why an answer was refused: the real cause, never a guess."""
    lv, en = PROBLEMS.get(code, _ANY_PROBLEM)
    try:
        return lv.format(detail=detail, **context), en.format(detail=detail, **context)
    except (KeyError, IndexError):
        return _ANY_PROBLEM[0].format(detail=detail), _ANY_PROBLEM[1].format(detail=detail)
