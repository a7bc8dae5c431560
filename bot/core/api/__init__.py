"""The service API the action server calls (X-Service-Key; /me routes also X-Customer-Token): routes/."""
