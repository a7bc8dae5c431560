"""The core's service layer: account reads and writes (accounts.py) and their response bodies (responses.py),
called by the account API's routes and the agent console."""
