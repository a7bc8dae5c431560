"""One customer token and the claim Rasa's event broker publishes for it (bot/rasa_ext/token_redaction.py), shared by
the tests of both sides: the Rasa environment's check that the broker makes this claim, the core's that it verifies
it (bot/core/tokens.py). Standard library only (both environments import it)."""

SECRET = "vector-secret-0123456789abcdef-0123456789"
CUSTOMER = "cust-vector"
# HS256 under SECRET: {"sub": CUSTOMER, "iat": 1796000000, "exp": 4102444800} (valid until 2100)
TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXN0LXZlY3RvciIsImlhdCI6MTc5NjAwMDAwMCwiZXhwIjo0MTAyNDQ0"
         "ODAwfQ.jg4sMkZvl8mNzwKYPaTreCtcVZ8UbDXD_WXbQDN5hX8")
# the token with its signature replaced by the SHA-256 (hex) of the signature's text
CLAIM = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjdXN0LXZlY3RvciIsImlhdCI6MTc5NjAwMDAwMCwiZXhwIjo0MTAyNDQ0"
         "ODAwfQ.4aed439ca2736c78d7b9e0d352f13ff80f46ba88e8598d95e92dd6c6793a2549")
