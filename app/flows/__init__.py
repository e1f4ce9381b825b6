"""Flows: prebuilt automations that react to canonical events.

Each flow is a module that declares one ``Flow`` as data; ``registry.FLOWS`` lists them and
``dispatch.LISTENERS`` lists what sees every event before the flows do. The engine
(``engine/engine.py``) is the only place that knows how runs advance.
"""
