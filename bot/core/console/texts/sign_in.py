"""The sign-in page and its refusals."""

TEXTS = {
    "lt": {
        "sign_in_title": "Prisijungimas",
        "sign_in_heading": "Agento prisijungimas",
        "sign_in_username": "Naudotojo vardas",
        "sign_in_password": "Slaptažodis",
        "sign_in_button": "Prisijungti",
        "sign_in_expired": "Prisijungimo forma nebegalioja. Bandykite dar kartą.",
        "sign_in_wrong": "Neteisingas naudotojo vardas arba slaptažodis.",
        "sign_in_throttled": "Per daug nesėkmingų bandymų prisijungti. {wait}",
        "sign_in_wait_seconds": "Bandykite dar kartą po {seconds} s.",
        "sign_in_wait_minutes": "Bandykite dar kartą po {minutes} min.",
    },
    "en": {
        "sign_in_title": "Sign in",
        "sign_in_heading": "Agent sign-in",
        "sign_in_username": "Username",
        "sign_in_password": "Password",
        "sign_in_button": "Sign in",
        "sign_in_expired": "The sign-in form had expired. Please try again.",
        "sign_in_wrong": "Wrong username or password.",
        "sign_in_throttled": "Too many failed sign-ins. {wait}",
        "sign_in_wait_seconds": "Try again in {seconds} s.",
        "sign_in_wait_minutes": "Try again in {minutes} min.",
    },
}
