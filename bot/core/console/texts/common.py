"""The texts every console page shares: the header, the navigation, the language switch."""

TEXTS = {
    "lt": {
        "console_title": "Agento pultas",
        "site_name": "Canon verslo pagalba",
        "brand": "Canon verslo pagalba · agento pultas",
        "nav_label": "Pulto skyriai",
        "nav_queue": "Eilė",
        "nav_fallbacks": "Neatpažintos žinutės",
        "nav_dashboard": "Suvestinė",
        "nav_review": "Pokalbių peržiūra",
        "signed_in_as": "Prisijungęs:",
        "sign_out": "Atsijungti",
        "language_switch": "English",
        "language_switch_to": "en",
        "language_switch_title": "Switch the console to English",
    },
    "en": {
        "console_title": "Agent console",
        "site_name": "Canon business support",
        "brand": "Canon business support · agent console",
        "nav_label": "Console sections",
        "nav_queue": "Queue",
        "nav_fallbacks": "Unrecognised messages",
        "nav_dashboard": "Dashboard",
        "nav_review": "Conversation review",
        "signed_in_as": "Signed in as",
        "sign_out": "Sign out",
        "language_switch": "Lietuviškai",
        "language_switch_to": "lt",
        "language_switch_title": "Perjungti pultą į lietuvių kalbą",
    },
}
