"""Racing real database connections from threads (PostgreSQL only: SQLite serialises writers)."""

import threading

from django.db import close_old_connections, connection

from kechuang.core.actions import Refused


def race(*calls, timeout: float = 120) -> list[str]:
    """Run each of ``calls`` in its own thread on its own connection, all released at once; return the
    outcomes sorted: ``"ok"``, or the refusal's code. Anything else raised (an ``IntegrityError``, a
    deadlock) is returned as the exception, so the test fails on it."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except Refused as refused:
            outcomes.append(refused.code)
        except Exception as error:  # the 500s this is here to catch
            outcomes.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    return sorted(outcomes, key=str)
