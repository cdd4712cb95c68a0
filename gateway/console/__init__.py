"""The operators' console: a web page under ``/console`` over JSON endpoints under
``/api/v1/ops``, for the ``operator`` and ``admin`` roles.

- ``history``: the queue depths and rates of the last hour, sampled by the gateway;
- ``overview``: what the page shows, computed from the services' ``health()``, the broker's queue
  statistics and the dead letters (plain Python);
- ``console``: the dependency that reads the broker, samples it and records operators' actions;
- ``files``: the page, its scripts and styles, served from ``static/``.
"""
