"""The gateway's read cache: answers from memory until an event, a write or the TTL says not."""

import time

from gateway.cache import GLOBAL, ReadCache
from pmi_common import contract as c


class Loader:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"answer": self.calls}


def test_a_second_read_is_answered_from_memory():
    cache, load = ReadCache(ttl=60), Loader()
    assert cache.read("w1", ("worker",), load) == cache.read("w1", ("worker",), load)
    assert load.calls == 1 and cache.hits == 1


def test_an_event_about_the_worker_drops_its_reads_only():
    cache, mine, other = ReadCache(ttl=60), Loader(), Loader()
    cache.read("w1", ("worker",), mine)
    cache.read("w2", ("worker",), other)
    cache.event_seen({"worker_id": "w1", "source": c.DOCUMENTS})
    cache.read("w1", ("worker",), mine)
    cache.read("w2", ("worker",), other)
    assert (mine.calls, other.calls) == (2, 1)


def test_a_registration_event_also_drops_lists_and_statistics():
    cache, lists = ReadCache(ttl=60), Loader()
    cache.read(GLOBAL, ("workers", ()), lists)
    cache.event_seen({"worker_id": "w9", "source": c.DOCUMENTS})
    cache.read(GLOBAL, ("workers", ()), lists)
    assert lists.calls == 1
    cache.event_seen({"worker_id": "w9", "source": c.REGISTRATION})
    cache.read(GLOBAL, ("workers", ()), lists)
    assert lists.calls == 2


def test_an_answer_loaded_across_an_invalidation_is_not_kept():
    cache = ReadCache(ttl=60)

    def load_while_the_worker_changes():
        cache.forget("w1")  # an event arrives while the old answer is on its way
        return "stale"

    assert cache.read("w1", ("worker",), load_while_the_worker_changes) == "stale"
    fresh = Loader()
    cache.read("w1", ("worker",), fresh)
    assert fresh.calls == 1


def test_entries_expire_after_the_ttl_and_a_zero_ttl_never_caches():
    cache, load = ReadCache(ttl=0.05), Loader()
    cache.read("w1", ("worker",), load)
    time.sleep(0.06)
    cache.read("w1", ("worker",), load)
    assert load.calls == 2
    off, load = ReadCache(ttl=0), Loader()
    off.read("w1", ("worker",), load)
    off.read("w1", ("worker",), load)
    assert load.calls == 2


def test_the_cache_stays_within_its_bound():
    cache = ReadCache(ttl=60, max_entries=3)
    for n in range(10):
        cache.read(f"w{n}", ("worker",), Loader())
    assert len(cache) == 3
    cache.forget("w9")
    assert len(cache) == 2


def test_expired_answers_leave_as_new_ones_are_stored():
    cache = ReadCache(ttl=0.05)
    for n in range(100):
        cache.read(f"w{n}", ("worker",), Loader())
    time.sleep(0.06)
    cache.read("w-new", ("worker",), Loader())
    assert len(cache) == 1


def test_forgetting_a_scope_drops_only_its_entries():
    cache = ReadCache(ttl=60)
    for n in range(5):
        cache.read("w1", ("page", n), Loader())
        cache.read("w2", ("page", n), Loader())
    cache.forget("w1")
    assert len(cache) == 5
    again = Loader()
    cache.read("w2", ("page", 0), again)
    cache.read("w1", ("page", 0), again)
    assert again.calls == 1  # w2's answer was still cached, w1's was not
