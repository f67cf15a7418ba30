"""Printed output that reaches the batch grader in bounded pieces.

The batch grader starts each student kernel with ``--IPKernelApp.outstream_class`` set to
:class:`BoundedOutStream`. It lives outside :mod:`gdlab.grading` because the sandbox replaces
that package with a stub, and it imports nothing from gdlab.

ipykernel's ``OutStream`` collects what a cell prints and sends it every 0.2 s as one message.
A loop that prints as fast as it can collects tens of megabytes between two sends; encoding and
decoding such a message takes seconds on a busy machine, during which the grader sees no
output, cannot count it against the output limit, and the kernel cannot answer an interrupt
(it finishes the send first). :class:`BoundedOutStream` sends as soon as
``max_buffered_chars`` are waiting and waits for the send, as a terminal makes a writer wait:
the printing slows to the pace of the channel and every message stays small. A single write
longer than that is still sent whole; past the grader's message size cap (32 MB) it is dropped
on the way and the kernel is stopped for printing too much.
"""

from ipykernel.iostream import OutStream

MAX_BUFFERED_CHARS = 2**18  # 256 KiB: 1/8 of the grader's default output limit


class BoundedOutStream(OutStream):
    """ipykernel's ``OutStream`` that never buffers more than ``max_buffered_chars``."""

    max_buffered_chars = MAX_BUFFERED_CHARS

    def write(self, string: str) -> int | None:
        written = super().write(string)
        if self.buffered_chars() >= self.max_buffered_chars:
            self.flush()
        return written

    def buffered_chars(self) -> int:
        """Characters written and not yet sent, over all the cells' buffers."""
        with self._buffer_lock:
            return sum(buffer.tell() for buffer in self._buffers.values())
