"""The worker's own app: signing in with a code sent to the phone on record (``signin``: the
rules, plain Python), the codes and devices kept in the gateway's database (``store``), and the
dependency the gateway's methods reach them through (``door``)."""
