"""The texts every console page shares: the header, the navigation, the language switch."""

TEXTS = {
    "lt": {
        "console_title": "Agento pultas",
        "brand": "Canon verslo pagalba · agento pultas",
        "nav_queue": "Eilė",
        "nav_fallbacks": "Neatpažintos žinutės",
        "nav_dashboard": "Suvestinė",
        "nav_review": "Pokalbių peržiūra",
        "signed_in_as": "Prisijungęs:",
        "sign_out": "Atsijungti",
        "language_switch": "English",
    },
    "en": {
        "console_title": "Agent console",
        "brand": "Canon business support · agent console",
        "nav_queue": "Queue",
        "nav_fallbacks": "Unrecognised messages",
        "nav_dashboard": "Dashboard",
        "nav_review": "Conversation review",
        "signed_in_as": "Signed in as",
        "sign_out": "Sign out",
        "language_switch": "Lietuviškai",
    },
}
