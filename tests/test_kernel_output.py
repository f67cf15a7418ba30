"""gdlab.kernel_output: the batch grader's kernels send what a cell prints in bounded pieces."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))

import sandbox_probe as probe  # noqa: E402

from gdlab.kernel_output import MAX_BUFFERED_CHARS  # noqa: E402

LINES, LINE_CHARS, LONG_WRITE = 200, 10_000, 600_000
PRINT_FAST = f"""\
for i in range({LINES}):
    print(str(i % 10) * {LINE_CHARS})
print('L' * {LONG_WRITE})
"""


def test_the_graders_kernel_sends_printed_output_in_bounded_pieces_and_loses_none():
    # ipykernel sends what a cell printed every 0.2 s as one message: a fast printing loop made
    # messages of tens of MB, which take seconds to encode and decode on a busy machine. The
    # grader saw no output in that time and could not stop the flood (the CI failure of
    # test_attack_gets_the_right_status_and_score[output_flood]: "hung and ignored interrupts").
    messages: list[str] = []
    texts, _ = probe.run_cells([PRINT_FAST], messages=messages)
    lines = "".join(str(i % 10) * LINE_CHARS + "\n" for i in range(LINES))
    expected = lines + "L" * LONG_WRITE + "\n"
    assert texts[0] == expected
    assert "".join(messages) == expected  # nothing lost, nothing repeated, in order
    pieces = [m for m in messages if "L" not in m]  # the one long write is sent whole
    assert len(pieces) >= len(lines) // (MAX_BUFFERED_CHARS + LINE_CHARS + 1)
    assert max(map(len, pieces)) <= MAX_BUFFERED_CHARS + LINE_CHARS + 1
