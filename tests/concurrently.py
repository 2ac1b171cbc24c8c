"""Start N threads at once and wait for all of them: the harness of the race tests."""

import threading
import time


def run_at_once(n, target, timeout):
    """Run target(i) for i in range(n), each in its own thread; returns the wall time.

    The targets should meet at a threading.Barrier(n) so their critical steps overlap.
    """
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return time.perf_counter() - started
