"""The operators' and developers' tools, above the services and the gateway: they may import
either; nothing the platform runs imports them.

- ``cli``: the ``pmi`` command (migrations, topology, broker users, agencies, queues and dead
  letters, retention, the event catalogue, development tokens, the registry import);
- ``onboarding``, ``agency_webhooks``: agencies' subscriptions and webhook endpoints;
- ``broker_setup``: one broker user per process, as the administrator;
- ``catalogue``: ``docs/asyncapi.yaml`` written from the contract;
- ``reports``: the command's text tables;
- ``probe``: the readiness probe of a service's pods;
- ``stack``: the whole platform on one machine (``make run``);
- ``envfile``: the secrets docker compose reads (``make secrets``; standard library only);
- ``processes``: child processes stopped together (standard library only).
"""
