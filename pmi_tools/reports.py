"""The operators' command's tables: queue health and dead letters as plain text."""

from __future__ import annotations

from pmi_common.dead_letters import DeadLetter
from pmi_common.queue_health import QueueHealth


def render_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def render_queues(queues: list[QueueHealth]) -> str:
    rows = [
        [
            q.name,
            q.ready,
            q.unacked,
            q.consumers,
            f"{q.publish_rate:.1f}",
            f"{q.deliver_rate:.1f}",
            ", ".join(q.marks) or "ok",
        ]
        for q in queues
    ]
    table = render_table(
        ["QUEUE", "READY", "UNACKED", "CONSUMERS", "PUBLISH/S", "DELIVER/S", "STATE"],
        rows,
        right={1, 2, 3, 4, 5},
    )
    unhealthy = sum(1 for q in queues if q.marks)
    return f"{table}\n\n{unhealthy} of {len(queues)} queues need attention."


def render_dead_letters(letters: list[DeadLetter]) -> str:
    rows = [
        [
            letter.queue.rsplit(".", 1)[0],
            letter.event_id or "-",
            letter.event_type or "-",
            "-" if letter.attempts is None else letter.attempts,
            letter.failed_at or "-",
            " ".join(letter.error.split())[:90],
        ]
        for letter in letters
    ]
    if not rows:
        return "No dead letters."
    return render_table(
        ["SERVICE", "EVENT ID", "TYPE", "ATTEMPTS", "FAILED AT", "ERROR"], rows, right={3}
    )
