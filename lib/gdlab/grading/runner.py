"""Grade one notebook: run it in a sandboxed kernel, harvest plain data, judge here.

The steps, for one submission:

1. **Read** the file as a notebook (size-capped, nbformat 4); keep only the code cells'
   sources. The notebook's kernelspec, metadata, tags and outputs are ignored.
2. **Execute** the cells one at a time with nbclient in a fresh kernel started by
   :class:`~gdlab.grading.sandbox.SandboxedKernelManager`, under a per-cell timeout and a
   whole-notebook deadline. Errors do not stop the run. A cell that times out is
   interrupted; if the kernel then does not answer, or dies, or the cell killed it, the
   kernel is replaced and the cells that had run are replayed without the bad one, so
   credit for every part that does not depend on it survives. Printed output is counted
   and discarded; past the cap the cell is interrupted. A message longer than the client's
   ``MAXMSGSIZE`` is dropped by ZeroMQ as it arrives (never held in memory) and counts as
   output past the cap. What the kernel writes to its descriptors 1 and 2 goes to a pipe
   that is drained and discarded (:class:`~gdlab.grading.sandbox.OutputSink`).
3. **Harvest** each part in that kernel: a cell sends the transport code and the inputs the
   grader drew (seeded per submission), calls the student's function, and publishes the
   result as one display message under a MIME type named by a random nonce made for this
   run. Nothing else the notebook prints is read.
4. **Judge** each part in this process with :func:`~gdlab.grading.judging.judge_part`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from gdlab.grading import EXERCISES, transport
from gdlab.grading.core import Exercise, Verdict
from gdlab.grading.judging import judge_part
from gdlab.grading.sandbox import Limits, Sandbox, SandboxedKernelManager

MAX_NOTEBOOK_BYTES = 20 * 2**20
MAX_PAYLOAD_CHARS = 8 * 2**20
MAX_RESTARTS = 3
MAX_MESSAGE_BYTES = 4 * MAX_PAYLOAD_CHARS  # longer messages from the kernel are dropped
TRANSPORT_SOURCE = Path(transport.__file__).read_text()
# What can change the code the grader runs in the kernel, or what it sees running: IPython's
# input and AST transformers and Python's trace and profile functions. The harvest reports
# them (before calling the answer); a change from the fresh kernel's marks the row tampered.
HOOKS_SOURCE = """\
def hooks(ip):
    import sys, threading

    def name(f):
        kind = f if isinstance(f, type) or callable(f) and hasattr(f, "__qualname__") else type(f)
        return f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', repr(kind))}"

    manager = ip.input_transformer_manager
    groups = [ip.input_transformers_cleanup, ip.input_transformers_post, ip.ast_transformers]
    groups += [manager.line_transforms, manager.token_transformers]
    found = [[name(f) for f in group] for group in groups]
    traces = [sys.gettrace(), sys.getprofile(), threading.gettrace(), threading.getprofile()]
    return found + [[repr(t is None) for t in traces]]
"""
HARVEST_CELL = """\
_gdlab_ns = {{"__name__": "gdlab_transport"}}
exec(compile({transport}, "<gdlab-transport>", "exec"), _gdlab_ns)
exec(compile({hooks}, "<gdlab-hooks>", "exec"), _gdlab_ns)
_gdlab_hooks = {{{mime} + "+hooks": __import__("json").dumps(_gdlab_ns["hooks"](get_ipython()))}}
__import__("IPython").display.publish_display_data({{{mime}: __import__("json").dumps(
    _gdlab_ns["harvest"](globals(), __import__("json").loads({request})), allow_nan=False),
    **_gdlab_hooks}})
del _gdlab_ns, _gdlab_hooks
"""
HOOKS_CELL = """\
_gdlab_ns = {{"__name__": "gdlab_hooks"}}
exec(compile({hooks}, "<gdlab-hooks>", "exec"), _gdlab_ns)
__import__("IPython").display.publish_display_data(
    {{{mime} + "+hooks": __import__("json").dumps(_gdlab_ns["hooks"](get_ipython()))}})
del _gdlab_ns
"""

# Status of a submission, most severe first (the first that applies is reported).
STATUSES = (
    "invalid_notebook",
    "grader_error",
    "tampered",
    "kernel_died",
    "output_limit",
    "memory_limit",
    "timeout",
    "not_attempted",
    "ok",
)
_EVENT_STATUS = {
    "tampered": "tampered",
    "kernel_died": "kernel_died",
    "kernel_stuck": "timeout",
    "cell_timeout": "timeout",
    "notebook_timeout": "timeout",
    "harvest_timeout": "timeout",
    "output_limit": "output_limit",
    "memory": "memory_limit",
}


@dataclass
class Outcome:
    """The grade of one submission: one row of the CSV, one ``results.json``."""

    student: str
    file: str
    exercise: str | None
    status: str
    reason: str
    seed: int
    verdicts: list[Verdict] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(v.points for v in self.verdicts)

    @property
    def max_score(self) -> float:
        return EXERCISES[self.exercise].max_points if self.exercise in EXERCISES else 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_json(cls, data: dict) -> Outcome:
        verdicts = [Verdict(**v) for v in data.get("verdicts", [])]
        fields = {k: data[k] for k in ("student", "file", "exercise", "status", "reason", "seed")}
        return cls(
            **fields,
            verdicts=verdicts,
            events=list(data.get("events", [])),
            seconds=float(data.get("seconds", 0.0)),
        )


def display_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (surrogate escapes) shown as ``\\xff``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def submission_seed(seed: int, student: str) -> int:
    """The seed of one submission's inputs: the run's seed and the student id, hashed."""
    digest = hashlib.sha256(f"{seed}:{student}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "little")


class NotANotebook(ValueError):
    """The file cannot be read as a Jupyter notebook."""


def read_code_cells(path: Path) -> list[str]:
    """The sources of the code cells, or :class:`NotANotebook` saying why not."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = "a missing file" if not path.exists() else "another file"
        raise NotANotebook(f"a symbolic link to {target}, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise NotANotebook("not a regular file")
    if path.suffix.lower() != ".ipynb":
        raise NotANotebook("not a .ipynb file")
    size = info.st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise NotANotebook(f"file of {size} bytes is larger than {MAX_NOTEBOOK_BYTES}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        raise NotANotebook(f"cannot be read ({error.strerror})") from None
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotANotebook(f"file larger than {MAX_NOTEBOOK_BYTES} bytes")
    try:
        text = data.decode("utf-8")
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:
        raise NotANotebook(f"not a readable notebook ({type(error).__name__})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotANotebook("the notebook has no list of cells")
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise NotANotebook("a code cell's source is not text")
        sources.append(source)
    return sources


def detect_exercise(sources: list[str]) -> Exercise | None:
    """The exercise whose problem number and answer names the code mentions most."""
    text = "\n".join(sources)
    best, best_hits = None, 0
    for exercise in EXERCISES.values():
        hits = sum(bool(re.search(rf"\b{p.answer}\b", text)) for p in exercise.parts)
        hits += text.count(f'"{exercise.problem}')
        if hits > best_hits:
            best, best_hits = exercise, hits
    return best


class _Client(NotebookClient):
    """nbclient's NotebookClient that counts and discards output, keeping harvest messages."""

    def __init__(self, nb, km, limits: Limits, **kwargs):
        super().__init__(nb, km=km, **kwargs)
        self.limits = limits
        self.output_total = 0
        self.flooded = False
        self.nonce_mime: str | None = None
        self.payloads: list[str] = []
        self.hooks: list[str] = []
        self.error_names: list[str] = []  # of the cell being run (outputs are not kept)
        self.output_interrupts = 0  # interrupts sent because of output, over the whole run

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") if isinstance(content, dict) else None
        hooks = f"{self.nonce_mime}+hooks"
        if self.nonce_mime and isinstance(data, dict) and hooks in data:
            self.hooks.append(data[hooks] if isinstance(data[hooks], str) else "")
        if self.nonce_mime and isinstance(data, dict) and {self.nonce_mime, hooks} & set(data):
            payload = data.get(self.nonce_mime)
            if isinstance(payload, str) and len(payload) <= MAX_PAYLOAD_CHARS:
                self.payloads.append(payload)
            elif self.nonce_mime in data:
                self.payloads.append("")
            return None
        if msg.get("msg_type") == "error" and isinstance(content, dict):
            self.error_names.append(str(content.get("ename", ""))[:100])
        if not isinstance(content, dict):
            size = 0
        elif msg.get("msg_type") == "stream" and isinstance(content.get("text"), str):
            size = len(content["text"])
        else:
            size = len(json.dumps(content, default=str))
        self.count_output(size)
        return None

    def count_output(self, size: int) -> None:
        self.output_total += size
        if self.output_total > self.limits.output_bytes and not self.flooded:
            self.flooded = True
            self.output_interrupts += 1
            asyncio.ensure_future(self.km.interrupt_kernel())
        elif self.flooded and self.output_total > 4 * self.limits.output_bytes:
            self.output_total = self.limits.output_bytes  # keep counting cheap
            self.output_interrupts += 1
            asyncio.ensure_future(self.km.interrupt_kernel())


class NotebookRun:
    """One submission's execution in a sandboxed kernel, with restarts and replays."""

    def __init__(self, sources, limits: Limits, root: Path | None = None, uid: int | None = None):
        self.sources = sources
        self.limits = limits
        self.sandbox = Sandbox(limits, root=root, uid=uid)
        self.monitor = None  # ZeroMQ events of the output channel: a dropped long message
        self.killed_for_output = False
        self.baseline_hooks: str | None = None  # of the fresh kernel
        self.events: list[str] = []
        self.good: list[int] = []  # cells that ran without killing or hanging the kernel
        self.restarts = 0
        nb = nbformat.v4.new_notebook()  # one slot: nbclient stores each executed cell there
        nb.cells = [nbformat.v4.new_code_cell("")]
        self.client = _Client(
            nb,
            km=None,
            limits=limits,
            timeout=int(limits.cell_timeout),
            startup_timeout=60,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeout", "evalue": "cell timed out", "traceback": []},
            iopub_timeout=2,
            raise_on_iopub_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
        )

    async def start(self) -> None:
        km = SandboxedKernelManager(self.sandbox, max_message_bytes=MAX_MESSAGE_BYTES)
        self.client.km = km
        await self.client.async_start_new_kernel()
        await self.client.async_start_new_kernel_client()
        self.sandbox.lock_connection_folder()
        self.baseline_hooks = await self._hooks()
        iopub = self.client.kc.iopub_channel.socket
        address = f"inproc://gdlab-iopub-{secrets.token_hex(8)}"
        iopub.monitor(address, zmq.EVENT_DISCONNECTED)
        self.monitor = zmq.Context.shadow(km.client_context.underlying).socket(zmq.PAIR)
        self.monitor.connect(address)

    async def _hooks(self) -> str | None:
        """The transformers and trace functions of the kernel as it is (see HOOKS_SOURCE)."""
        mime = f"application/x-gdlab-{secrets.token_hex(16)}"
        self.client.nonce_mime, self.client.hooks = mime, []
        source = HOOKS_CELL.format(hooks=repr(HOOKS_SOURCE), mime=repr(mime))
        try:
            await self._execute(-1, source, self.limits.cell_timeout)
        finally:
            self.client.nonce_mime = None
        hooks, self.client.hooks = self.client.hooks, []
        return hooks[0] if len(hooks) == 1 else None

    async def _watch_dropped(self) -> None:
        """While a cell runs: a dropped message is output past the cap, and a kernel that
        prints that much at once is killed (an interrupt would leave it flushing it)."""
        while True:
            await asyncio.sleep(0.1)
            if self.dropped_messages() and await self._alive_after_disconnect():
                self.client.flooded = True
                self.client.output_total = max(
                    self.client.output_total, self.limits.output_bytes + 1
                )
                self.killed_for_output = True
                await self.client.km.signal_kernel(signal.SIGKILL)
                return

    async def _alive_after_disconnect(self) -> bool:
        """A closed connection is a dropped message if the kernel is still alive: a kernel that
        died closes it too (its sandbox's processes take a moment to be gone)."""
        await asyncio.sleep(0.3)
        try:
            return bool(await self.client.km.is_alive())
        except Exception:
            return False

    def dropped_messages(self) -> int:
        """Messages ZeroMQ dropped (connection closed and made again) since the last call."""
        count = 0
        while self.monitor is not None and self.monitor.poll(0):
            self.monitor.recv_multipart()
            count += 1
        return count

    async def stop(self) -> None:
        km = self.client.km
        if km is not None:
            try:
                await self.client._async_cleanup_kernel()
            except Exception:
                pass
        if self.monitor is not None:
            self.monitor.close(linger=0)
            self.monitor = None
        if km is not None:
            km.close_sink()
        self.client.km = None
        self.client.kc = None

    async def _execute(self, index: int, source: str, timeout: float) -> str:
        """Run one cell; ``ok`` (errors included) or ``dead``."""
        cell = nbformat.v4.new_code_cell(source)
        self.client.timeout = max(1, int(timeout))
        self.client.error_names = []
        watch = asyncio.ensure_future(self._watch_dropped())
        try:
            await self.client.async_execute_cell(cell, 0, store_history=False)
        except DeadKernelError:
            return "dead"
        except Exception:  # the kernel's channels broke down: as good as dead
            return "dead"
        finally:
            watch.cancel()
            # a message longer than MAX_MESSAGE_BYTES, the cell is over: nothing to interrupt
            if self.dropped_messages() and await self._alive_after_disconnect():
                self.client.flooded = True
                self.client.output_total = max(
                    self.client.output_total, self.limits.output_bytes + 1
                )
        if any(name.endswith("MemoryError") for name in self.client.error_names):  # numpy's too
            self.events.append(f"memory: cell {index + 1} ran out of memory")
        return "ok"

    async def responsive(self) -> bool:
        """True if the kernel answers a trivial request within two seconds."""
        if self.client.kc is None or not await self.client.km.is_alive():
            return False
        try:
            msg_id = self.client.kc.execute("None", store_history=False, silent=True)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                reply = await self.client.kc.get_shell_msg(timeout=deadline - time.monotonic())
                if reply["parent_header"].get("msg_id") == msg_id:
                    return True
        except Exception:
            return False
        return False

    async def restart(self, deadline: float) -> bool:
        """Replace the kernel and replay the good cells; False when that is not possible."""
        await self.stop()
        if self.restarts >= MAX_RESTARTS or time.monotonic() > deadline:
            return False
        self.restarts += 1
        await self.start()
        for index in list(self.good):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            result = await self.run_cell(index, min(self.limits.cell_timeout, remaining))
            if result in ("dead", "stuck"):
                self.good.remove(index)
                return await self.restart(deadline)
        return True

    async def run_cell(self, index: int, timeout: float) -> str:
        """Execute cell ``index``: ``ok``, ``timeout`` (interrupted, kernel fine), ``dead``
        or ``stuck`` (the kernel does not answer after the interrupt)."""
        start = time.monotonic()
        flooded_before, interrupts_before = self.client.flooded, self.client.output_interrupts
        result = await self._execute(index, self.sources[index], timeout)
        if result == "dead":
            return "dead"
        # Only a cell that was interrupted (for time or for output) has its kernel's answer
        # tested: after a flood, every later cell used to be, and on a busy machine a kernel
        # slow to answer within two seconds was taken for stuck and lost that cell's answer.
        flooded_here = (self.client.flooded and not flooded_before) or (
            self.client.output_interrupts != interrupts_before
        )
        if time.monotonic() - start >= int(max(1, timeout)) - 0.05 or flooded_here:
            if not await self.responsive():
                return "stuck"
            if time.monotonic() - start >= int(max(1, timeout)) - 0.05:
                return "timeout"
        return result

    async def execute_all(self) -> None:
        deadline = time.monotonic() + self.limits.notebook_timeout
        await self.start()
        for index in range(len(self.sources)):
            if not self.sources[index].strip():
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 1:
                what = f"the notebook ran out of time before cell {index + 1}"
                self.events.append(f"notebook_timeout: {what}")
                break
            flooded_before = self.client.flooded
            result = await self.run_cell(index, min(self.limits.cell_timeout, remaining))
            if self.client.flooded and not flooded_before:
                self.events.append(f"output_limit: cell {index + 1} printed too much")
            if result in ("ok", "timeout"):
                self.good.append(index)  # what it defined before a hang still counts
            if result == "timeout":
                if remaining > self.limits.cell_timeout:
                    what = f"cell_timeout: cell {index + 1} ran out of time and was interrupted"
                else:
                    what = f"notebook_timeout: the notebook ran out of time in cell {index + 1}"
                self.events.append(what)
            elif result in ("dead", "stuck"):
                what = "killed the kernel" if result == "dead" else "hung and ignored interrupts"
                kind = "kernel_died" if result == "dead" else "kernel_stuck"
                if not self.killed_for_output:  # else: output_limit, recorded above
                    self.events.append(f"{kind}: cell {index + 1} {what}; graded without it")
                self.killed_for_output = False
                if not await self.restart(deadline):
                    self.events.append("kernel_died: could not restart the kernel in time")
                    return

    async def harvest(self, part, request: dict, harvest_deadline: float) -> dict | None:
        """Run the harvest cell for one part; the decoded result, or None if none came back."""
        if self.client.kc is None:
            return None
        nonce = secrets.token_hex(16)
        mime = f"application/x-gdlab-{nonce}"
        self.client.nonce_mime = mime
        self.client.payloads, self.client.hooks = [], []
        source = HARVEST_CELL.format(
            transport=repr(TRANSPORT_SOURCE),
            hooks=repr(HOOKS_SOURCE),
            mime=repr(mime),
            request=repr(json.dumps(request)),
        )
        timeout = min(self.limits.cell_timeout, max(1.0, harvest_deadline - time.monotonic()))
        self.sources.append(source)
        index = len(self.sources) - 1
        start = time.monotonic()
        result = await self.run_cell(index, timeout)
        self.sources.pop()
        self.client.nonce_mime = None
        payloads, self.client.payloads = self.client.payloads, []
        hooks, self.client.hooks = self.client.hooks, []
        if result in ("dead", "stuck") or time.monotonic() - start >= timeout - 0.05:
            self.events.append(f"harvest_timeout: part {part.id} did not finish in time")
            if result in ("dead", "stuck") and not await self.restart(harvest_deadline):
                self.client.kc = None
            return {"timeout": True}
        if len(payloads) > 1:
            self.events.append(f"tampered: part {part.id} sent {len(payloads)} answer messages")
            return None
        if not payloads:
            return None
        try:
            result = json.loads(payloads[0])
        except (ValueError, RecursionError):
            result = None
        if not _well_formed(result):
            self.events.append(f"tampered: part {part.id} sent a malformed answer message")
            return None
        if self.baseline_hooks is not None and hooks != [self.baseline_hooks]:
            what = "changed IPython's input transformers or set a trace or profile function"
            self.events.append(f"tampered: part {part.id}: the notebook {what}")
            return None
        return result


def _well_formed(result) -> bool:
    """The shape :func:`transport.harvest` produces; anything else was not made by it."""
    if not isinstance(result, dict) or not isinstance(result.get("found"), bool):
        return False
    if not set(result) <= {"found", "callable", "outputs", "value"}:
        return False
    if "callable" in result and not isinstance(result["callable"], bool):
        return False
    if "outputs" in result and not isinstance(result["outputs"], list):
        return False
    return "value" not in result or isinstance(result["value"], dict)


def _status(outcome_events: list[str], verdicts: list[Verdict]) -> tuple[str, str]:
    found = {_EVENT_STATUS.get(e.split(":", 1)[0]) for e in outcome_events}
    for status in STATUSES:
        if status in found:
            detail = next(e for e in outcome_events if _EVENT_STATUS.get(e.split(":")[0]) == status)
            return status, detail.split(":", 1)[1].strip()
    if verdicts and all(v.status == "not_attempted" for v in verdicts):
        return "not_attempted", "no part was attempted"
    passed = sum(v.passed for v in verdicts)
    return "ok", f"{passed} of {len(verdicts)} parts passed"


async def _grade(path: Path, exercise: Exercise, sources, seed: int, limits, root, uid):
    run = NotebookRun(list(sources), limits, root, uid)
    verdicts = []
    try:
        await run.execute_all()
        harvest_deadline = time.monotonic() + limits.cell_timeout * (len(exercise.parts) + 1)
        for number, part in enumerate(exercise.parts):
            rng = np.random.default_rng([seed, number])
            cases = part.cases(rng)
            request = {"answer": part.answer, "kind": part.kind, "cases": cases, "seed": seed}
            result = await run.harvest(part, request, harvest_deadline)
            if result is None:
                verdicts.append(
                    Verdict(part.id, "fail", "no answer could be collected", 0.0, part.points)
                )
            elif result.get("timeout"):
                verdicts.append(
                    Verdict(part.id, "fail", "did not finish in time", 0.0, part.points)
                )
            else:
                verdicts.append(judge_part(part, cases, result))
    finally:
        await run.stop()
        run.sandbox.cleanup()
    return verdicts, run.events


def grade_notebook(
    path: Path,
    seed: int,
    exercise: str | None = None,
    limits: Limits | None = None,
    student: str | None = None,
    root: Path | None = None,
    uid: int | None = None,
) -> Outcome:
    """Grade one file; always returns an :class:`Outcome`, whatever the file does.

    ``student`` is the student id (default: the file name without its suffix, with bytes
    that are not UTF-8 escaped); a ``folder/name`` id puts ``folder/`` in front of the file
    name in the outcome. ``root`` is the sandbox folder to create and use (default: a new one
    in TMPDIR) and ``uid`` the kernel's uid (default: one drawn for this submission).
    """
    path = Path(path)
    student = display_name(path.stem) if student is None else student
    started = time.monotonic()
    own_seed = submission_seed(seed, student)
    folders = student.rsplit("/", 1)[0] + "/" if "/" in student else ""
    name = display_name(path.name)
    outcome = Outcome(student, folders + name, exercise, "grader_error", "", own_seed)
    try:
        sources = read_code_cells(path)
        chosen = EXERCISES.get(exercise) if exercise else detect_exercise(sources)
        if chosen is None:
            raise NotANotebook("it is not one of the exercise notebooks")
        outcome.exercise = chosen.name
        verdicts, events = asyncio.run(
            _grade(path, chosen, sources, own_seed, limits or Limits(), root, uid)
        )
        outcome.verdicts, outcome.events = verdicts, events
        outcome.status, outcome.reason = _status(events, verdicts)
    except NotANotebook as error:
        outcome.status, outcome.reason = "invalid_notebook", str(error)
    except Exception as error:  # a grader bug must not lose the row
        outcome.status = "grader_error"
        outcome.reason = f"{type(error).__name__}: {str(error)[:200]}"
    if outcome.exercise in EXERCISES and not outcome.verdicts:
        outcome.verdicts = [
            Verdict(p.id, "fail", outcome.reason, 0.0, p.points)
            for p in EXERCISES[outcome.exercise].parts
        ]
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome
