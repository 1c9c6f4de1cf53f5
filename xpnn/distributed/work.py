"""What every process group shares: the reduction ops, the error, and Work (a collective in flight, waited on
with a deadline so that a dead or diverged rank ends in an error instead of a hang)."""

import enum
import time


class ReduceOp(enum.Enum):
    """How all_reduce and reduce_scatter combine the ranks' values, as torch.distributed.ReduceOp."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class DistBackendError(RuntimeError):
    """A collective failed or did not finish in time (torch.distributed.DistBackendError)."""


class Work:
    """A collective in flight, as torch.distributed.Work: ``wait()`` returns once it is done here.

    ``test()`` says whether the transfer has finished (and drives its progress: MPI moves data for a
    non-blocking collective only while some MPI call runs); ``finish()`` then runs once, to copy staged results
    back or divide a sum into an average. Waiting polls with a short sleep until ``timeout`` seconds after the
    start, then raises, so a rank that died or skipped a collective cannot make the others hang forever.
    """

    def __init__(self, name, group, test, timeout, finish=None, on_timeout=None):
        self.name, self.group = name, group
        self._test, self._finish, self._on_timeout = test, finish, on_timeout
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._done = False

    def is_completed(self):
        if not self._done and self._test():
            self._done = True
            if self._finish is not None:
                self._finish()
        return self._done

    def wait(self, timeout=None):
        deadline = self._deadline if timeout is None else time.monotonic() + _seconds(timeout)
        pause = 1e-5
        while not self.is_completed():
            if time.monotonic() > deadline:
                if self._on_timeout is not None:
                    self._on_timeout()
                raise DistBackendError(
                    f"xpnn.distributed: {self.name} on rank {self.group.rank} of {self.group.size} did not finish "
                    f"within {self._timeout:g} s: another rank died, raised, or did not call the same collective "
                    "(every rank must run the same collectives in the same order)"
                )
            time.sleep(pause)
            pause = min(2 * pause, 1e-3)
        return True


def _seconds(timeout):
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)
