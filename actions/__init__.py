"""Rasa SDK actions: thin translators between the conversation and the rest of the system."""
