"""Custom Rasa input channels (see docs/channels.md).

`whatsapp.WhatsAppInput` connects the WhatsApp Business Cloud API; `whatsapp_webhook` (incoming webhooks) and
`whatsapp_messages` (outgoing Graph API messages) hold its pure helpers.
"""
