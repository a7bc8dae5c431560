"""The words the queue, the escalation view and console.js share: handoff reasons (bot/vocabulary.py), statuses,
senders, language names, the transcript's system notes (bot/core/console/system_notes.py) and relative times
("prieš 5 min.": `{name}` placeholders filled by `bot.core.console.router.ago` and console.js)."""

from bot.vocabulary import HANDOFF_REASON_TITLES_BY_LANGUAGE, LANGUAGES

_WORDS = {
    "lt": {
        "status_waiting": "laukia",
        "status_claimed": "perimtas",
        "status_closed": "uždarytas",
        "sender_customer": "Klientas",
        "sender_bot": "Asistentas",
        "sender_system": "Sistema",
        "sender_agent": "Agentas",
        "language_name_lt": "lietuvių",
        "language_name_en": "anglų",
        "ago_just_now": "ką tik",
        "ago_minutes": "prieš {minutes} min.",
        "ago_hours": "prieš {hours} val. {minutes} min.",
        "ago_days": "prieš {days} d.",
        "delivery_done": "pristatyta",
        "delivery_pending": "dar nepristatyta",
        "customer_verified": "{customer} (patvirtintas)",
        "customer_anonymous": "anonimas",
        "out_of_hours": "ne darbo metu",
        "nobody_yet": "dar niekas",
        "system_handed_over": "Asistentas perdavė pokalbį: {reason}.",
        "system_handed_over_out_of_hours": "Asistentas perdavė pokalbį: {reason}. Ne darbo metu.",
        "system_took_over": "{agent} perėmė pokalbį.",
        "system_closed": "{agent} uždarė pokalbį: {note}",
        "system_customer_left": "Klientas pradėjo naują pokalbį pokalbių lange: atsakymai čia jo nebepasieks.",
        "system_reason_customer_request": "klientas paprašė žmogaus",
        "system_reason_fallback": "asistentas nesuprato kliento",
        "system_reason_priority_support": "prioritetinė pagalba",
        "system_reason_payment_problem": "mokėjimo problema",
    },
    "en": {
        "status_waiting": "waiting",
        "status_claimed": "claimed",
        "status_closed": "closed",
        "sender_customer": "Customer",
        "sender_bot": "Assistant",
        "sender_system": "System",
        "sender_agent": "Agent",
        "language_name_lt": "Lithuanian",
        "language_name_en": "English",
        "ago_just_now": "just now",
        "ago_minutes": "{minutes} min ago",
        "ago_hours": "{hours} h {minutes} min ago",
        "ago_days": "{days} d ago",
        "delivery_done": "delivered",
        "delivery_pending": "not delivered yet",
        "customer_verified": "{customer} (verified)",
        "customer_anonymous": "anonymous",
        "out_of_hours": "out of hours",
        "nobody_yet": "nobody yet",
        "system_handed_over": "Handed over by the assistant: {reason}.",
        "system_handed_over_out_of_hours": "Handed over by the assistant: {reason}. Outside the support hours.",
        "system_took_over": "{agent} took over the conversation.",
        "system_closed": "{agent} closed the conversation: {note}",
        "system_customer_left": "The customer started a new conversation in the web chat: replies here no longer "
                                "reach them.",
        "system_reason_customer_request": "the customer asked for a person",
        "system_reason_fallback": "the assistant did not understand the customer",
        "system_reason_priority_support": "priority support",
        "system_reason_payment_problem": "a payment problem",
    },
}

TEXTS = {
    language: {**_WORDS[language],
               **{f"reason_{reason}": title for reason, title in HANDOFF_REASON_TITLES_BY_LANGUAGE[language].items()}}
    for language in LANGUAGES
}
