"""The rules, one by one, on posts written for these tests (not taken from the labelled set)."""

from __future__ import annotations

import pytest

from rasd.signals.text import Analyser


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # complaints, in every language and dialect
        ("WhatsApp has been down since breakfast", "complaint"),
        ("whatsapp not loading chats for me", "complaint"),
        ("#WhatsAppDown", "complaint"),
        ("الواتس عطلان من الصبح", "complaint"),  # Egyptian
        ("الواتس مش شغال خالص", "complaint"),
        ("الواتساب ما يشتغل عندي", "complaint"),  # Gulf
        ("الواتس مش عم يبعت رسايل", "complaint"),  # Levantine
        ("الواتساب ماخدامش اليوم", "complaint"),  # Maghrebi
        ("واتساب لا يعمل منذ الصباح", "complaint"),  # MSA
        ("el whatsapp 3atlan", "complaint"),  # Arabizi
        ("WhatsApp en panne ce soir", "complaint"),
        ("WhatsApp geht seit dem Frühstück nicht", "complaint"),  # split negation
        ("storing bij WhatsApp vanavond", "complaint"),
        ("WhatsApp not back yet", "complaint"),  # a negated recovery
        ("الواتس لسه ما رجع", "complaint"),
        ("WhatsApp came back but it's down again", "complaint"),  # the later cue wins
        ("WhatsApp 😡😡", "complaint"),  # emoji decide when no word does
        # questions
        ("is WhatsApp down?", "question"),
        ("WhatsApp down for anyone else", "question"),
        ("هل الواتساب معطل؟", "question"),
        ("الواتس شغال عندكم؟", "question"),  # asking others is a question even alone
        ("WhatsApp bei euch auch?", "question"),
        ("WhatsApp marche chez vous ?", "question"),
        ("is WhatsApp back?", "question"),
        # recoveries
        ("WhatsApp is back up", "recovery"),
        ("WhatsApp was down all afternoon but now it's back", "recovery"),
        ("الواتس رجع يشتغل", "recovery"),
        ("WhatsApp remarche", "recovery"),
        ("WhatsApp geht wieder", "recovery"),
        ("WhatsApp werkt weer", "recovery"),
        ("el whatsapp rege3", "recovery"),
        # other: look-alikes, negations, news, ads
        ("Facebook stock is down today", "other"),
        ("the WhatsApp group is dead again", "other"),
        ("WhatsApp is not down", "other"),
        ("الواتس مش واقف", "other"),
        ("الواتس مو خربان", "other"),
        ("it's not WhatsApp, it's my wifi", "other"),
        ("مش الواتس المشكلة", "other"),
        ("WhatsApp works fine for me", "other"),
        ("Breaking: WhatsApp down worldwide, Reuters reports", "other"),
        ("عاجل: عطل في واتساب حول العالم", "other"),
        ("follow us on Instagram for daily deals", "other"),
        ("WhatsApp was down years ago", "other"),
        ("calm down and message me on WhatsApp", "other"),
        ("how do I change my WhatsApp number?", "other"),
        ("I love WhatsApp", "other"),
    ],
)
def test_labels(analyser: Analyser, text: str, label: str) -> None:
    assert analyser.analyse(text).label == label


def test_each_service_gets_the_label_of_its_clause(analyser: Analyser) -> None:
    result = analyser.analyse("WhatsApp is back, but Instagram is still down")
    assert result.services == {"whatsapp": "recovery", "instagram": "complaint"}
    assert result.label == "complaint"
    result = analyser.analyse("الواتس رجع لكن الانستغرام لسه واقف")
    assert result.services == {"whatsapp": "recovery", "instagram": "complaint"}


def test_a_service_named_once_takes_the_post_label(analyser: Analyser) -> None:
    result = analyser.analyse("Instagram. Down since noon.")
    assert result.services == {"instagram": "complaint"}


def test_ambiguous_alias_with_outage_context(analyser: Analyser) -> None:
    assert analyser.analyse("is x down?").services == {"twitter": "question"}
    assert analyser.analyse("x marks the spot").services == {}
    assert analyser.analyse("the signal is weak in the basement").services == {}
    assert analyser.analyse("signal not delivering messages").services == {"signal": "complaint"}
    assert analyser.analyse("الفيس مش بيفتح").services == {"facebook": "complaint"}
    assert analyser.analyse("شفت صورتك على الفيس").services == {}
