"""Human handoff on the core's side (docs/handoff.md): escalations (service.py), the routes the action server
calls (api.py), the Rasa HTTP client (rasa.py) and the background worker that talks to Rasa (worker.py)."""
