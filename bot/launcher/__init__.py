"""The launcher of `make run`: its supervisor (supervisor.py). Standard library only."""
