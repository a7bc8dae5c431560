"""The seed document's rules as plain dataclasses and functions (no framework imports)."""
