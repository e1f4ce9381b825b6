"""Courier labels: the shipment state machine, addresses, courier settings, bulk printing and
label sheets. Its pages live in ``app/web/labels.py``; its operator commands in ``cli.py``."""
