"""Email and the answer link end to end: mail arrives, the page renders, the answer is in the log."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from prometheus_client import REGISTRY

from shared.roles import Role
from services.notifications.adapters.links import LinkStore
from services.notifications.adapters.subscriptions import SubscriptionStore
from tests.support.harness import Harness, event
from tests.support.inboxes import SmtpInbox, eventually
from tests.support.notify import (deliveries, notifications_settings, running_notifications, settled,
                                  subscribe)
from tests.support.world import World, must_post

HTML = {"Accept": "text/html"}


def _link_answers(outcome: str) -> float:
    return REGISTRY.get_sample_value("tilts_notify_link_answers_total", {"outcome": outcome}) or 0.0
FORM = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
LINK = re.compile(r"http://notifications\.test(/v1/ack/[A-Za-z0-9._-]+)")


@pytest.fixture
def inbox() -> Iterator[SmtpInbox]:
    with SmtpInbox() as inbox:
        yield inbox


async def _history(intake: Harness, world: World, aggregate_type: str, aggregate_id: str) -> list:
    runtime = intake.app.state.runtime
    return await runtime.log.history(runtime.subjects.aggregate(world.municipality, aggregate_type, aggregate_id))


def _link(inbox: SmtpInbox, index: int = 0) -> str:
    match = LINK.search(SmtpInbox.text(inbox.messages[index]))
    assert match, "the mail carries no answer link"
    return match.group(1)


async def _cooperation_mailed(notify: Harness, world: World, inbox: SmtpInbox) -> tuple[str, str]:
    """Subscribe the institution by email and record a cooperation: its id and the mail's link."""
    await subscribe(notify, world, "email", "direktore@ozolu-skola.lv")
    cooperation = await world.cooperation("coop")
    await eventually(lambda: inbox.messages, what="a mail")
    return cooperation, _link(inbox)


async def _answered_by_mail(notify: Harness, inbox: SmtpInbox, form: str) -> tuple[str, str]:
    """Answer the first mail's link with `form`; the texts of that mail and of the mail about the answer."""
    await eventually(lambda: inbox.messages, what="the first mail")
    answered = await notify.client.post(_link(inbox), headers=FORM, content=form)
    assert answered.status_code == 200, answered.text
    await eventually(lambda: len(inbox.messages) == 2, what="the mail about the answer")
    return SmtpInbox.text(inbox.messages[0]), SmtpInbox.text(inbox.messages[1])


async def test_the_email_link_acknowledges_a_cooperation_as_its_contact_once(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "email", "direktore@ozolu-skola.lv")
        assert subscription["created_by"] == "admin-1"
        family = await world.family("fam", surname=f"Slepena{unique_id}")
        cooperation = await world.cooperation("coop", family_id=family)

        await eventually(lambda: inbox.messages, what="a mail")
        [mail] = inbox.messages
        text = SmtpInbox.text(mail)
        assert inbox.recipients == [["direktore@ozolu-skola.lv"]]
        assert mail["Subject"] == ("Tilts: Romu mediatora sadarbība ar jūsu iestādi / "
                                   "A Roma mediator's cooperation with your institution")
        assert text.index("Romu mediators Marta Ozoliņa") < text.index("Roma mediator Marta Ozoliņa")
        assert "Ilze Kalniņa (sociālā pedagoģe)" in text and "izglītība" in text and cooperation in text
        assert family not in text and f"Slepena{unique_id}" not in text

        link = _link(inbox)
        page = await notify.client.get(link, headers=HTML)
        assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
        assert "Apstiprināt" in page.text and "Acknowledge" in page.text and "kavējumu iemesli" in page.text

        answered = await notify.client.post(link, headers=FORM, content="action=acknowledge&text=Tikāmies+skolā")
        assert answered.status_code == 200 and "Jūsu atbilde ir reģistrēta" in answered.text

        [_, acknowledged] = await _history(live_intake, world, "cooperation", cooperation)
        assert acknowledged.type == "tilts.cooperation.acknowledged"
        assert acknowledged.actor == world.contacts[0] and acknowledged.actorrole == "institution"
        # ...through the link sent to this subscription, which the record names (and the
        # subscription who set it up: here an admin, for the institution).
        assert acknowledged.source == f"tilts/notifications/link/{subscription['id']}"
        assert acknowledged.data == {"cooperation_id": cooperation, "contact_id": world.contacts[0],
                                     "note": "Tikāmies skolā"}

        again = await notify.client.post(link, headers=FORM, content="action=dispute&text=Nebija")
        assert again.status_code == 409 and "jau ir atbildēts" in again.text
        shown = await notify.client.get(link, headers=HTML)
        assert "jau ir atbildēts" in shown.text and "<form" not in shown.text
        assert len(await _history(live_intake, world, "cooperation", cooperation)) == 2


async def test_a_double_submit_appends_one_answer(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "vaditajs@ozolu-skola.lv")
        cooperation = await world.cooperation("coop")
        await eventually(lambda: inbox.messages, what="a mail")
        link = _link(inbox)

        missing_reason = await notify.client.post(link, headers=FORM, content="action=dispute&text=")
        assert missing_reason.status_code == 422 and "norādiet iemeslu" in missing_reason.text
        # A refused text: the page tells the real cause and gives back what was typed (escaped).
        typed = "<b>Nenotika</b>\r\n" + "x" * 500
        too_long = await notify.client.post(link, headers=FORM, content=urlencode({"action": "dispute", "text": typed}))
        assert too_long.status_code == 422 and "par garu" in too_long.text and "too long" in too_long.text
        assert "norādiet iemeslu" not in too_long.text and "<b>Nenotika" not in too_long.text
        assert f">{html.escape(typed, quote=False)}</textarea>" in too_long.text

        # The textarea is multi-line and the reason one line: its line breaks fold into spaces.
        reason = urlencode({"action": "dispute", "text": "Tikšanās nenotika.\r\nSkolotāja bija slima."})
        disputes_before = _link_answers("dispute")
        answers = await asyncio.gather(*(notify.client.post(link, headers=FORM, content=reason)
                                         for _ in range(4)))
        assert {a.status_code for a in answers} <= {200, 409} and 200 in {a.status_code for a in answers}
        assert _link_answers("dispute") - disputes_before == 1  # the metric counts answers, not clicks
        history = await _history(live_intake, world, "cooperation", cooperation)
        assert [e.type for e in history] == ["tilts.cooperation.recorded", "tilts.cooperation.disputed"]
        assert history[1].data["reason"] == "Tikšanās nenotika. Skolotāja bija slima."


async def test_a_referral_is_accepted_then_completed_through_its_link(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "email", "socialais.dienests@jelgava.lv")
        case = await world.case(await world.family("fam"))
        referral = await world.referral(case, service="pabalsta pieteikums")
        await eventually(lambda: inbox.messages, what="a mail")
        assert "pabalsta pieteikums" in SmtpInbox.text(inbox.messages[0])
        link = _link(inbox)

        page = await notify.client.get(link, headers=HTML)
        assert "Pieņemt" in page.text and "Noraidīt" in page.text and "Atzīmēt kā izpildītu" not in page.text
        accepted = await notify.client.post(link, headers=FORM, content="action=accept&text=")
        assert accepted.status_code == 200 and "Atzīmēt kā izpildītu" in accepted.text
        clicked_again = await notify.client.post(link, headers=FORM, content="action=accept&text=")
        assert clicked_again.status_code == 409 and "jau ir atbildēts" in clicked_again.text  # not "invalid"
        completed = await notify.client.post(link, headers=FORM, content="action=complete&text=Pabalsts+pieš%C4%B7irts")
        assert completed.status_code == 200
        again = await notify.client.post(link, headers=FORM, content="action=decline&text=")
        assert again.status_code == 409

        history = await _history(live_intake, world, "referral", referral)
        assert [e.type for e in history] == ["tilts.referral.made", "tilts.referral.accepted",
                                             "tilts.referral.completed"]
        assert {e.actor for e in history[1:]} == {subscription["id"]}
        assert history[2].data["note"] == "Pabalsts piešķirts"


async def test_an_institution_acknowledges_through_the_intake_and_the_link_then_says_already_answered(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "lietvede@ozolu-skola.lv")
        cooperation = await world.cooperation("coop")
        await eventually(lambda: inbox.messages, what="a mail")
        link = _link(inbox)

        acknowledgement = event("tilts.cooperation.acknowledged",
                                {"cooperation_id": cooperation, "contact_id": world.contacts[1]})
        another_institution = live_intake.auth(Role.INSTITUTION, "other-api", institution=f"{unique_id}-other")
        refused = await live_intake.client.post("/v1/events", json=acknowledgement, headers=another_institution)
        assert refused.status_code == 403
        await must_post(live_intake, acknowledgement, world.as_institution)

        async def shows_answered() -> bool:
            page = await notify.client.get(link, headers=HTML)
            return "jau ir atbildēts" in page.text and "apstiprināta" in page.text
        await eventually(shows_answered, what="the page showing the acknowledgement")
        late = await notify.client.post(link, headers=FORM, content="action=dispute&text=Nebija")
        assert late.status_code == 409


async def test_a_daily_digest_sends_one_mail_for_the_days_events(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "direktore@ozolu-skola.lv", digest="daily")
        first, second = await world.cooperation("coop1"), await world.cooperation("coop2")
        waiting = await settled(notify, world, 2, "pending")
        assert all(d["next_attempt_at"].endswith(("T05:00:00+00:00", "T06:00:00+00:00")) for d in waiting)
        assert inbox.messages == []

        # At the digest hour everything pending leaves together; a requeue brings that hour forward.
        await notify.client.post(f"/v1/deliveries/{waiting[0]['id']}:requeue", headers=world.admin)
        await settled(notify, world, 2, "delivered")
        [mail] = inbox.messages
        assert mail["Subject"].startswith("Tilts: 2 paziņojumi")
        assert first in SmtpInbox.text(mail) and second in SmtpInbox.text(mail)


async def test_an_expired_or_altered_link_is_refused(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url,
                                            notify_link_ttl=timedelta(seconds=1))
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "direktore@ozolu-skola.lv")
        await world.cooperation("coop")
        await eventually(lambda: inbox.messages, what="a mail")
        link = _link(inbox)
        altered = await notify.client.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
        assert altered.status_code == 404 and altered.headers["content-type"] == "application/problem+json"

        async def expired() -> bool:
            return (await notify.client.get(link, headers=HTML)).status_code == 410
        await eventually(expired, timeout=5, what="the link expiring")
        late = await notify.client.post(link, headers=FORM, content="action=acknowledge")
        assert late.status_code == 410 and "derīguma termiņš" in late.text
        as_json = await notify.client.post(link, content="action=acknowledge",  # a program, not a browser
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert as_json.status_code == 410 and as_json.headers["content-type"] == "application/problem+json"
        assert as_json.json()["type"].endswith("/gone") and as_json.json()["title"] == "Gone"
        assert [d["status"] for d in await deliveries(notify, world)] == ["delivered"]


async def test_deleting_the_subscription_revokes_its_links_and_the_page_says_so(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        subscription = await subscribe(notify, world, "email", "aizgajusi@ozolu-skola.lv")
        await world.cooperation("coop")
        await eventually(lambda: inbox.messages, what="a mail")
        link = _link(inbox)
        deleted = await notify.client.delete(f"/v1/subscriptions/{subscription['id']}", headers=world.admin)
        assert deleted.status_code == 204

        page = await notify.client.get(link, headers=HTML)
        assert page.status_code == 410 and "abonements" in page.text and "ir dzēsts" in page.text
        assert "has been removed" in page.text and "API" in page.text and "nav derīga" not in page.text
        answer = await notify.client.post(link, headers=FORM, content="action=acknowledge")
        assert answer.status_code == 410 and "ir dzēsts" in answer.text
        as_json = await notify.client.get(link)
        assert as_json.status_code == 410 and as_json.headers["content-type"] == "application/problem+json"
        assert "removed" in as_json.json()["detail"]
        documented = notify.app.openapi()["paths"]["/v1/subscriptions/{subscription_id}"]["delete"]["description"]
        assert "revokes the answer links" in documented and "create the new subscription first" in documented


async def test_a_link_never_used_says_already_answered_when_another_notice_answered_first(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "direktore@ozolu-skola.lv")
        await subscribe(notify, world, "email", "lietvede@ozolu-skola.lv")
        await world.cooperation("coop")
        await eventually(lambda: len(inbox.messages) == 2, what="two mails")
        first, second = _link(inbox, 0), _link(inbox, 1)
        assert first != second
        answered = await notify.client.post(first, headers=FORM, content="action=acknowledge")
        assert answered.status_code == 200

        async def other_link_answered() -> str | None:
            page = await notify.client.get(second, headers=HTML)
            return page.text if "jau ir atbildēts" in page.text else None
        text = await eventually(other_link_answered, what="the other notice's page showing the answer")
        assert "izmantojot šo vai citu paziņojumu" in text and "through this or another notice" in text
        assert "only once" not in text and "tikai vienu reizi" not in text


async def test_the_mail_about_an_answer_names_the_cooperations_time_mediator_and_contact(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "direktore@ozolu-skola.lv",
                        event_types=["tilts.cooperation.recorded", "tilts.cooperation.disputed"])
        family = await world.family("fam", surname=f"Slepena{unique_id}")
        cooperation = await world.cooperation("coop", family_id=family)
        first, answer = await _answered_by_mail(notify, inbox, "action=dispute&text=Nenotika")
        assert f"Sadarbība {cooperation} ir apstrīdēta" in answer
        when = re.search(r"(\d\d\.\d\d\.\d{4}\. \d\d:\d\d) sadarbojās", first).group(1)
        assert f"Sadarbības laiks: {when}" in answer
        assert "Romu mediators:   Marta Ozoliņa" in answer and "Ilze Kalniņa (sociālā pedagoģe)" in answer
        assert "Nenotika" not in answer and family not in answer and f"Slepena{unique_id}" not in answer


async def test_the_mail_about_a_referrals_answer_names_its_time_mediator_and_service(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    async with running_notifications(settings) as notify:
        await subscribe(notify, world, "email", "socialais.dienests@jelgava.lv",
                        event_types=["tilts.referral.made", "tilts.referral.declined"])
        case = await world.case(await world.family("fam"))
        referral = await world.referral(case, service="pabalsta pieteikums")
        first, answer = await _answered_by_mail(notify, inbox, "action=decline&text=Nav+pamata")
        assert f"Nosūtījums {referral} ir noraidīts" in answer
        when = re.search(r"(\d\d\.\d\d\.\d{4}\. \d\d:\d\d) nosūtīja", first).group(1)
        assert f"Nosūtīts:         {when}" in answer and "Pakalpojums:      pabalsta pieteikums" in answer
        assert "Romu mediators:   Marta Ozoliņa" in answer
        assert "Nav pamata" not in answer and case not in answer


async def test_an_answer_the_intake_cannot_take_now_keeps_the_form_and_the_text_for_another_try(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    away = settings.model_copy(update={"intake_url": "http://127.0.0.1:9"})  # nothing listens: the intake is away
    form = urlencode({"action": "dispute", "text": "Tikšanās nenotika <b>nemaz</b>"})
    async with running_notifications(away) as notify:
        cooperation, link = await _cooperation_mailed(notify, world, inbox)
        page = await notify.client.post(link, headers=FORM, content=form)
        assert page.status_code == 503 and page.headers["retry-after"]
        assert "mēģiniet vēlreiz" in page.text and "<form" in page.text
        assert "Tikšanās nenotika &lt;b&gt;nemaz&lt;/b&gt;</textarea>" in page.text  # as typed, escaped
        program = await notify.client.post(link, content=form,
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert program.status_code == 503 and program.headers["content-type"] == "application/problem+json"
    assert len(await _history(live_intake, world, "cooperation", cooperation)) == 1  # nothing was recorded
    async with running_notifications(settings) as notify:  # the intake is back: the same form goes through
        answered = await notify.client.post(link, headers=FORM, content=form)
        assert answered.status_code == 200, answered.text
    assert [e.type for e in await _history(live_intake, world, "cooperation", cooperation)][-1] == \
        "tilts.cooperation.disputed"


async def test_while_the_database_is_away_pages_and_the_api_answer_503_to_try_again_and_nothing_is_recorded(
        make_settings, live_intake: Harness, unique_id: str, inbox: SmtpInbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    world = await World.create(live_intake, unique_id)
    settings = await notifications_settings(make_settings, live_intake, smtp_url=inbox.url)
    form = urlencode({"action": "acknowledge", "text": "Paldies"})
    async with running_notifications(settings) as notify:
        cooperation, link = await _cooperation_mailed(notify, world, inbox)

        async def refused(*_: object) -> None:
            raise ConnectionRefusedError("as if PostgreSQL were away")

        with monkeypatch.context() as away:
            away.setattr(LinkStore, "answerable", refused)
            away.setattr(SubscriptionStore, "list", refused)
            page = await notify.client.get(link, headers=HTML)
            assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
            assert "Paziņojumu šobrīd nevar parādīt" in page.text and "cannot be shown right now" in page.text
            assert page.headers["referrer-policy"] == "no-referrer"
            program = await notify.client.get(link)
            assert program.status_code == 503 and program.headers["content-type"] == "application/problem+json"
            posted = await notify.client.post(link, headers=FORM, content=form)
            assert posted.status_code == 503 and "Atbildi šobrīd nevar reģistrēt" in posted.text
            listed = await notify.client.get("/v1/subscriptions", params={"institution_id": world.institution},
                                             headers=notify.auth(Role.ADMIN, "admin-1"))
            assert listed.status_code == 503 and int(listed.headers["retry-after"]) > 0
            assert listed.json()["type"].endswith("/unavailable")
        assert len(await _history(live_intake, world, "cooperation", cooperation)) == 1  # nothing was recorded
        answered = await notify.client.post(link, headers=FORM, content=form)  # back: the same form goes through
        assert answered.status_code == 200, answered.text
    assert [e.type for e in await _history(live_intake, world, "cooperation", cooperation)][-1] == \
        "tilts.cooperation.acknowledged"
