"""The runner: one clock per running simulation, advanced by whichever process holds its lease.

`registry` paces the steps (host-agnostic asyncio), `lease` is the database lease that makes
exactly one process advance a simulation, and `hosting` starts a registry inside Daphne
(CLOCK_MODE=inprocess), beside the simulation workers; `manage.py runclock` runs one on its own.
A comparison has one lease for all its members (`comparison_lease`), and `comparison_registry`
steps them together.
"""
