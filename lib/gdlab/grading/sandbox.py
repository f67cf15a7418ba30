"""The sandbox a student kernel runs in, and the kernel manager that starts it there.

Two modes, chosen by :func:`sandbox_mode` (or forced with ``GDLAB_SANDBOX=plain``):

``namespaces`` (Linux, run as root, util-linux ``unshare`` present)
    The kernel is the first process of new PID, mount, network, IPC and UTS namespaces
    (``unshare --pid --fork --kill-child --mount --mount-proc --net --ipc --uts``). When
    the grader kills it, or it exits, the kernel of Linux kills every process in the
    namespace, including children that called ``setsid`` or double-forked. It has no
    network (the grader talks to it over Unix sockets), sees only its own processes in
    /proc, runs under an unprivileged uid/gid of its own with ``no_new_privs``, and sees empty
    read-only directories in place of the grader's files: the project checkout (tests,
    reference solutions), the submissions, the output folder and home directories. The
    grading package is replaced by a stub, so the judges cannot be imported from a
    notebook. /tmp, /var/tmp and /dev/shm are fresh size-limited tmpfs.

``plain`` (anything else: macOS, no root, no ``unshare``, a container without
``CAP_SYS_ADMIN`` such as Gradescope's)
    The kernel runs in its own session and process group, under the same resource limits
    where the OS supports them, with a temporary working directory. If the grader runs as
    root (as in a Gradescope container) and the interpreter is installed where other users
    can reach it, the kernel still drops to an unprivileged uid of its own, with
    ``no_new_privs`` and RLIMIT_NPROC: it cannot write the grader's files, nor signal the
    grader's processes. Otherwise it runs as the grader's user and
    RLIMIT_NPROC is not set (it would count all of that user's processes). In this mode
    the grader's files stay readable (keep reference solutions off the grading machine),
    and a process that calls ``setsid`` can outlive the kill of the process group.
    Verdicts are still decided in the grader's process from plain data, so a notebook can
    hurt only its own grade, not forge anyone's.

In both modes: RLIMIT_AS (memory), RLIMIT_FSIZE (file size), RLIMIT_NOFILE, RLIMIT_CORE = 0,
RLIMIT_CPU as a backstop, and the wall-clock limits of :class:`Limits` enforced by the runner.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

# Kernel uid = UID_BASE + the pid of the grading process that starts it: unique among live
# graders (concurrent runs included), so RLIMIT_NPROC and the final sweep of leftover
# processes concern this one sandbox only.
UID_BASE = 200_000
NOBODY = 65_534
LAUNCHER = Path(__file__).with_name("_launch.py")
UNSHARE_FLAGS = ["--pid", "--fork", "--kill-child", "--mount", "--mount-proc"]
UNSHARE_FLAGS += ["--net", "--ipc", "--uts"]

STUB = '''"""Stand-in for gdlab.grading in the batch grader's sandbox: the judges are not here."""


def check(part_id, answer=None):
    print(f"{part_id}: checked by the batch grader, not in this kernel.")


def verdict(part_id, answer=None):
    return None
'''


@dataclass(frozen=True)
class Limits:
    """Limits for one submission; the defaults suit the three exercises with room to spare."""

    cell_timeout: float = 10.0  # seconds for one cell, or for the answers of one part
    notebook_timeout: float = 60.0  # seconds for the whole notebook, restarts included
    memory_bytes: int = 2 * 2**30  # RLIMIT_AS of each process
    processes: int = 96  # RLIMIT_NPROC (threads count) for the sandbox's uid
    file_bytes: int = 64 * 2**20  # RLIMIT_FSIZE
    output_bytes: int = 2 * 2**20  # printed output per notebook before it is stopped
    tmpfs_bytes: int = 256 * 2**20  # size of the sandbox's /tmp


@functools.cache
def sandbox_mode() -> str:
    """``namespaces`` where this process may build them, else ``plain``."""
    if os.environ.get("GDLAB_SANDBOX") == "plain":
        return "plain"
    unshare = shutil.which("unshare")
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or unshare is None:
        return "plain"
    try:
        probe = subprocess.run([unshare, *UNSHARE_FLAGS, "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "plain"
    return "namespaces" if probe.returncode == 0 else "plain"


def _project_root(path: Path) -> Path | None:
    """The nearest ancestor that looks like a checkout or an autograder bundle."""
    markers = ("pyproject.toml", ".git", "run_autograder")  # the last: a Gradescope bundle
    for parent in path.parents:
        if any((parent / marker).exists() for marker in markers):
            return parent
    return None


def _others_can_run_python() -> bool:
    """True when an unprivileged user can reach the interpreter and the library.

    In mode ``plain`` nothing is mounted, so the kernel's uid must be able to traverse every
    folder above them (not so for a Python installed under a private /root).
    """
    paths = [Path(sys.executable).resolve(), Path(sys.prefix).resolve(), Path(__file__).resolve()]
    for path in paths:
        for folder in path.parents:
            if not os.stat(folder).st_mode & 0o001:
                return False
    return True


def _uid_mappable(uid: int) -> bool:
    try:
        with open("/proc/self/uid_map") as handle:
            for line in handle:
                inside, _, count = (int(x) for x in line.split())
                if inside <= uid < inside + count:
                    return True
    except (OSError, ValueError):
        return False
    return False


class Sandbox:
    """A per-kernel directory and the command that starts a kernel inside the sandbox.

    ``hide`` lists extra directories the kernel must not see (the submissions, the output
    folder). Call :meth:`cleanup` when done.
    """

    def __init__(self, limits: Limits, slot: int = 0, hide: tuple[str, ...] = ()):
        self.limits = limits
        self.mode = sandbox_mode()
        self.root = Path(tempfile.mkdtemp(prefix="gdlab-kernel-"))
        self.work = self.root / "work"
        self.conn = self.root / "conn"
        self.stub = self.root / "stub"
        for path in (self.work, self.conn, self.stub):
            path.mkdir()
        (self.stub / "__init__.py").write_text(STUB)
        self.uid = self.gid = None
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        if self.mode == "namespaces" or (root and _others_can_run_python()):
            uid = UID_BASE + os.getpid()
            self.uid = self.gid = uid if _uid_mappable(uid) else NOBODY
            os.chmod(self.root, 0o711)
            for path in (self.work, self.conn):
                os.chown(path, self.uid, self.gid)
        self.hide = tuple(str(Path(p).resolve()) for p in hide)
        self.library = Path(__file__).resolve().parents[2]  # the folder that holds gdlab/

    def kernel_env(self) -> dict[str, str]:
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.work),
            "USER": "student",
            "LOGNAME": "student",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(self.library),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(self.work / ".matplotlib"),
            "IPYTHONDIR": str(self.work / ".ipython"),
            "JUPYTER_CONFIG_DIR": str(self.work / ".jupyter"),
            "JUPYTER_DATA_DIR": str(self.work / ".jupyter"),
            "JUPYTER_RUNTIME_DIR": str(self.work / ".jupyter"),
            "TMPDIR": "/tmp" if self.mode == "namespaces" else str(self.work),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed on some CPUs
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def config(self, connection_file: str) -> dict:
        python = sys.executable
        argv = [python, "-m", "ipykernel_launcher", "-f", connection_file]
        argv += ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]
        limits = {
            "RLIMIT_AS": self.limits.memory_bytes,
            "RLIMIT_FSIZE": self.limits.file_bytes,
            "RLIMIT_NOFILE": 512,
            "RLIMIT_CORE": 0,
            "RLIMIT_CPU": int(self.limits.notebook_timeout * 2) + 10,
        }
        if self.uid is not None:  # a uid of its own: the limit counts this sandbox only
            limits["RLIMIT_NPROC"] = self.limits.processes
        keep = {
            str(Path(sys.base_prefix).resolve()),
            str(Path(sys.prefix).resolve()),
            str(Path(python).resolve().parent.parent),
            str(self.library),
            str(self.root),
        }
        hide = set(self.hide) | {"/root", "/home"}
        for path in (self.library, Path(sys.prefix).resolve()):  # the checkout holds the tests
            project = _project_root(path)
            if project is not None and project != Path("/"):
                hide.add(str(project))
        hide = {p for p in hide if not any(p.startswith(q + "/") for q in hide)}
        return {
            "mode": self.mode,
            "keep": sorted(keep),
            "writable": [str(self.root)],
            "hide": sorted(hide),
            "fresh_tmp": ["/tmp", "/var/tmp", "/dev/shm"],
            "tmpfs_bytes": self.limits.tmpfs_bytes,
            "stub": [str(self.stub), str(self.library / "gdlab" / "grading")],
            "limits": limits,
            "cwd": str(self.work),
            "uid": self.uid,
            "gid": self.gid,
            "env": self.kernel_env(),
            "argv": argv,
        }

    def command(self, connection_file: str) -> list[str]:
        """The argv that starts the kernel in the sandbox."""
        import json

        if self.uid is not None:
            os.chown(connection_file, self.uid, self.gid)
        config_file = self.root / "launch.json"
        config_file.write_text(json.dumps(self.config(connection_file)))
        launch = [sys.executable, "-I", "-S", str(LAUNCHER), str(config_file)]
        if self.mode == "namespaces":
            return [shutil.which("unshare"), *UNSHARE_FLAGS, "--", *launch]
        return launch

    def processes(self) -> list[int]:
        """Pids running as this sandbox's uid (Linux; else an empty list)."""
        if self.uid is None or not os.path.isdir("/proc"):
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == self.uid:
                        pids.append(int(entry))
                except OSError:
                    pass  # exited meanwhile
        return pids

    def reap(self, timeout: float = 5.0) -> None:
        """Wait until no process of the sandbox's uid is left; SIGKILL stragglers.

        Killing the kernel ends its PID namespace, and with it every process inside, but
        asynchronously; in mode ``plain`` the uid is the only handle on escaped processes.
        """
        import signal
        import time

        deadline = time.monotonic() + timeout
        while (pids := self.processes()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def cleanup(self) -> None:
        self.reap()
        shutil.rmtree(self.root, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that ignores kernelspecs and starts the kernel in a :class:`Sandbox`.

    It talks to the kernel over Unix sockets in the sandbox's directory (the kernel has no
    network) and never restarts a dead kernel by itself: the runner decides.
    """

    def __init__(self, sandbox: Sandbox, **kwargs):
        super().__init__(transport="ipc", autorestart=False, **kwargs)
        self.sandbox = sandbox
        self.ip = str(sandbox.conn / "k")
        self.connection_file = str(sandbox.conn / "kernel.json")
        self._kernel_spec = KernelSpec(
            argv=["python"],
            display_name="gdlab sandbox",
            language="python",
            interrupt_mode="signal",
        )

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._kernel_spec

    @property
    def ipykernel(self) -> bool:
        return True

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        return self.sandbox.command(self.connection_file)
