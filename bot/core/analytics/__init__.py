"""Analytics for the support team (docs/analytics.md): what Rasa's events say about each conversation, recorded in
the core's database, the figures of the dashboard, the conversation review, and privacy (redaction, retention,
erasure). The console's pages (bot/core/console) read through these modules."""
