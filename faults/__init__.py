"""Fault checks: `make faults` (or `.venv/bin/python -m faults.run`). See faults/run.py."""
