"""The platform's processes forked from one parent that has imported the platform once:
``python -m pmi_tools.preload ANSWERS_FD``, started by the supervisor (``pmi_tools.stack``).

A service process spends about a second of CPU importing eventlet, nameko, SQLAlchemy, alembic and
its own modules before it serves, and ``make run`` starts ten and starts again any that dies. This
parent imports them once (eventlet's patching first, as the runner does) and forks each process
the supervisor asks for: the process serves in a fraction of the time, the imported code's memory
is shared until a process writes to it, and a service that crashed is back sooner. It is the
pattern of Python's ``multiprocessing`` forkserver and of gunicorn's ``--preload``; neither fits as
it is (the forkserver's own loop would run under eventlet's patching; gunicorn serves WSGI only).

A forked process is what ``python -m pmi_common.runner <service>`` is: the environment (the
parent's, which is the supervisor's, with the process's own variables added), the working
directory, standard output and error are the parent's, and it runs the runner's ``main``.

The protocol, one JSON object per line: the supervisor writes ``{"request": n, "service": ...,
"env": {...}}`` on the parent's standard input; the parent answers on the pipe ``ANSWERS_FD`` with
``{"request": n, "pid": ...}`` for each process it forked, and ``{"exited": pid, "status": code}``
as each ends (it is their parent: it reaps them; ``code`` as ``subprocess`` gives it, negative for
a signal). When its standard input closes, the parent ends. It ignores Ctrl-C, which reaches the
processes it forked (they stop as the runner stops on SIGINT) and the supervisor, which then
closes it.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import traceback

from pmi_common.green import import_eventlet

# the agencies service resolves names as it delivers: the green resolver, as it has it alone
import_eventlet(green_dns=True)

from eventlet import hubs, patcher  # noqa: E402

from pmi_common import runner  # noqa: E402 - eventlet's patching, as a service process does first

_os = patcher.original("os")
_select = patcher.original("select")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        raise SystemExit("usage: python -m pmi_tools.preload ANSWERS_FD")
    answers = int(args[0])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for service in runner.SERVICE_CLASSES:
        runner.service_class(service)
    hub = hubs.get_hub()  # made by eventlet's patching, never run here: each process makes its own
    assert not (hub.listeners["read"] or hub.listeners["write"] or hub.timers or hub.next_timers)
    gc.collect()
    gc.freeze()  # what was imported stays shared: the collector does not write to it
    pending = b""
    while True:
        readable, _, _ = _select.select([0], [], [], 0.2)
        if readable:
            chunk = _os.read(0, 65536)
            if not chunk:
                return 0
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = _os.fork()
                if pid == 0:
                    _run(request, answers)  # never returns
                _answer(answers, {"request": request.get("request"), "pid": pid})
        _reap(answers)


def _reap(answers: int) -> None:
    """Every forked process that has ended, told."""
    while True:
        try:
            pid, status = _os.waitpid(-1, _os.WNOHANG)
        except ChildProcessError:  # none forked, or none left
            return
        if not pid:
            return
        _answer(answers, {"exited": pid, "status": _os.waitstatus_to_exitcode(status)})


def _answer(answers: int, message: dict) -> None:
    _os.write(answers, json.dumps(message).encode() + b"\n")


def _run(request: dict, answers: int) -> None:
    """In the forked process: the runner's main for the service asked for, then exit."""
    status = 1
    try:
        _os.close(answers)
        devnull = _os.open(_os.devnull, _os.O_RDONLY)
        _os.dup2(devnull, 0)  # the parent's requests are not this process's input
        _os.close(devnull)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        inherited = hubs.get_hub()  # its epoll is the parent's, and every other process's
        hubs.use_hub()  # the next use makes this process's own
        shared = getattr(inherited, "poll", None)
        if hasattr(shared, "close"):
            shared.close()
        os.environ.update(request.get("env") or {})
        runner.main([request["service"]])
        status = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - said, then the status tells the supervisor
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
