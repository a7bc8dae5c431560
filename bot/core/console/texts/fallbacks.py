"""The page of messages the assistant did not understand."""

TEXTS = {
    "lt": {
        "fallbacks_title": "Neatpažintos žinutės",
        "fallbacks_intro": "Ką klientai parašė, bet asistentas nesuprato; naujausios viršuje. El. pašto adresai, "
                           "slaptažodžiai, PIN ir saugos kodai bei 6 ir daugiau skaitmenų skaičiai paslėpti prieš "
                           "išsaugant.",
        "fallbacks_no_older": "Senesnių žinučių nėra.",
        "fallbacks_empty": "Neatpažintų žinučių kol kas nėra.",
        "fallbacks_in_a_row": "{count} iš eilės",
        "fallbacks_guesses": "Spėjimai:",
        "fallbacks_no_guesses": "nėra",
        "fallbacks_conversation": "pokalbis",
        "fallbacks_pages": "Puslapiai",
        "fallbacks_newest": "← Naujausios",
        "fallbacks_older": "Senesnės →",
    },
    "en": {
        "fallbacks_title": "Unrecognised messages",
        "fallbacks_intro": "What customers wrote that the assistant did not understand, newest first. E-mail "
                           "addresses, passwords, PINs and security codes, and numbers of 6 or more digits were "
                           "hidden before storing.",
        "fallbacks_no_older": "No older messages.",
        "fallbacks_empty": "No unrecognised messages yet.",
        "fallbacks_in_a_row": "{count} in a row",
        "fallbacks_guesses": "Guesses:",
        "fallbacks_no_guesses": "none",
        "fallbacks_conversation": "conversation",
        "fallbacks_pages": "Pages",
        "fallbacks_newest": "← Newest",
        "fallbacks_older": "Older →",
    },
}
