"""The sandbox a student kernel runs in, and the kernel manager that starts it there.

Two modes, chosen by :func:`sandbox_mode` (or forced with ``GDLAB_SANDBOX=plain``):

``bwrap`` (Linux, run as root, Bubblewrap's ``bwrap`` present and working)
    The kernel's file system is built from nothing (an allow-list): ``/usr`` and the Python
    installation and virtual environment, read-only; the ``gdlab`` package, read-only, with
    the grading package replaced by a stub (the judges cannot be imported); its connection
    folder; a size-limited tmpfs for ``/tmp`` (also ``/var/tmp``), for ``/dev/shm`` and for
    its home; ``/proc`` of its own PID namespace and a minimal ``/dev``. There is no
    ``/run``, no ``/home``, no ``/root``, no ``/sys`` and no other folder of the machine. It
    is the only process of new PID, network, IPC and UTS namespaces: it has no network,
    sees only its own processes, and when it dies, or its worker dies, every process it
    started dies with it. It runs under a uid of its own for this one submission
    (:func:`allocate_uid`), with ``no_new_privs``, in a fresh empty session keyring, and a
    seccomp filter refuses the keyring system calls (``add_key``, ``keyctl``,
    ``request_key``) with EPERM.

``plain`` (anything else: macOS, no root, no ``bwrap``, a container without user
namespaces such as Gradescope's)
    The kernel runs in its own session and process group, under the same resource limits
    where the OS supports them, with a temporary working directory. If the grader runs as
    root (as in a Gradescope container) and the interpreter is installed where other users
    can reach it, the kernel still drops to an unprivileged uid of its own for the
    submission, with ``no_new_privs`` and RLIMIT_NPROC: it cannot write the grader's files,
    nor signal the grader's processes. Otherwise it runs as the grader's user and
    RLIMIT_NPROC is not set (it would count all of that user's processes). In this mode the
    grader's files stay readable (keep reference solutions off the grading machine), there is
    no disk quota beyond RLIMIT_FSIZE per file, the keyring system calls are not filtered
    (the session keyring is still a fresh one), and a process that calls ``setsid`` can
    outlive the kill of the process group. Verdicts are still decided in the grader's process
    from plain data, so a notebook can hurt only its own grade, not forge anyone's.

In both modes the kernel starts with only descriptors 0 (``/dev/null``), 1 and 2 (a pipe the
grader drains and discards, :class:`OutputSink`); every other descriptor is closed before
it starts. RLIMIT_AS (memory), RLIMIT_FSIZE (file size), RLIMIT_NOFILE, RLIMIT_CORE = 0,
RLIMIT_CPU as a backstop, and the wall-clock limits of :class:`Limits` enforced by the runner.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

# Each submission's kernel runs as a uid drawn at random from [UID_BASE, UID_BASE + UID_SPAN)
# that no process and no key of the machine uses (allocate_uid): unique among submissions and
# among concurrent graders, so RLIMIT_NPROC, the keyrings and the final sweep of leftover
# processes concern that one submission only.
UID_BASE = 200_000
UID_SPAN = 2**24
NOBODY = 65_534
LAUNCHER = Path(__file__).with_name("_launch.py")
HOME = "/home/student"
INSIDE = "/.gdlab"  # the launcher and its configuration, inside the bwrap sandbox
NAMESPACES = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
NAMESPACES += ["--unshare-cgroup-try"]
# The keyring system calls, refused inside the bwrap sandbox (as Docker's default profile does).
KEYRING_SYSCALLS = ("add_key", "keyctl", "request_key")

STUB = '''"""Stand-in for gdlab.grading in the batch grader's sandbox: the judges are not here."""


def check(part_id, answer=None):
    print(f"{part_id}: checked by the batch grader, not in this kernel.")


def check_all(exercise=None):
    print("Every part is checked by the batch grader, not in this kernel.")


def inputs(part_id):
    return []


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
    tmpfs_bytes: int = 256 * 2**20  # size of the sandbox's /tmp (mode bwrap)
    home_bytes: int = 128 * 2**20  # size of the sandbox's home and of /dev/shm (mode bwrap)


def _bwrap_probe_command(bwrap: str) -> list[str]:
    return [bwrap, *NAMESPACES, "--die-with-parent", "--ro-bind", "/usr", "/usr"]


@functools.cache
def sandbox_mode() -> str:
    """``bwrap`` where this process can build that sandbox, else ``plain``."""
    return sandbox_choice()[0]


def sandbox_choice() -> tuple[str, str]:
    """The sandbox mode and why: ``("bwrap", "")`` or ``("plain", reason)``.

    The reason says what is missing for the allow-list sandbox, so that an instructor whose
    machine lacks it is told (the grade CLI prints it) rather than graded in ``plain`` unawares.
    """
    if os.environ.get("GDLAB_SANDBOX") == "plain":
        return "plain", "GDLAB_SANDBOX=plain was set"
    bwrap = shutil.which("bwrap")
    if not sys.platform.startswith("linux"):
        return "plain", f"bubblewrap needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return "plain", "the bwrap sandbox is built as root (to give each kernel its own uid)"
    if bwrap is None:
        return "plain", "bwrap was not found (Debian package bubblewrap; make system-deps)"
    command = [*_bwrap_probe_command(bwrap), "--proc", "/proc", "--dev", "/dev"]
    command += ["--tmpfs", "/tmp", *_system_links(), "--", "/usr/bin/true"]
    try:
        probe = subprocess.run(command, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return "plain", f"bwrap could not start ({error})"
    if probe.returncode != 0:
        said = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return "plain", f"bwrap failed here (no user namespaces?): {said[0]}"
    try:
        seccomp_filter()  # libseccomp and pyseccomp are there
    except (ImportError, OSError, RuntimeError) as error:
        return "plain", f"the seccomp filter cannot be built (libseccomp2, pyseccomp): {error}"
    return "bwrap", ""


def _system_links() -> list[str]:
    """``/bin``, ``/lib``... as the host has them: links into ``/usr`` (merged /usr) or binds."""
    args = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


@functools.cache
def seccomp_filter() -> bytes:
    """The BPF program that refuses the keyring system calls with EPERM (for ``--seccomp``).

    Built by libseccomp (Debian's ``libseccomp2``, through PyPI's ``pyseccomp``), which also
    makes the filter refuse system calls of another architecture (x32, i386) that would
    otherwise get around it.
    """
    import errno

    import pyseccomp

    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for name in KEYRING_SYSCALLS:
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.seek(0)
        return handle.read()


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


def _key_users() -> set[int]:
    try:
        with open("/proc/key-users") as handle:
            return {int(line.split(":")[0]) for line in handle if ":" in line}
    except (OSError, ValueError):
        return set()


def uid_processes(uid: int) -> list[int]:
    """Pids running as ``uid`` (Linux; else an empty list)."""
    if not os.path.isdir("/proc"):
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                pass  # exited meanwhile
    return pids


def allocate_uid() -> int | None:
    """A uid for one submission's kernel: unused by any process or key, or None if there is
    no uid to switch to (not root, or a user namespace that maps too few uids)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    keyed = _key_users()
    for _ in range(20):
        uid = UID_BASE + secrets.randbelow(UID_SPAN)
        if _uid_mappable(uid) and uid not in keyed and not uid_processes(uid):
            return uid
    return NOBODY if _uid_mappable(NOBODY) else None


def kill_uid(uid: int | None, timeout: float = 5.0) -> None:
    """SIGKILL every process of ``uid`` until none is left (or ``timeout`` seconds)."""
    if uid is None or uid == 0:
        return
    deadline = time.monotonic() + timeout
    while (pids := uid_processes(uid)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def remove_tree(path: Path, timeout: float = 60.0) -> None:
    """Remove a folder a kernel may have filled, however deep (coreutils' ``rm``, which does
    not recurse on the stack nor follow symbolic links), falling back on :func:`shutil.rmtree`."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    rm = shutil.which("rm")
    if rm is not None:
        try:
            subprocess.run(
                [rm, "-rf", "--one-file-system", "--", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            pass
    if path.exists() or path.is_symlink():
        try:
            shutil.rmtree(path, ignore_errors=True)
        except RecursionError:
            pass


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


class OutputSink:
    """A pipe for a kernel's descriptors 1 and 2, drained and discarded by a thread.

    Nothing a kernel writes to them reaches the grader; only the byte count is kept.
    """

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()  # both close-on-exec
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        import select

        while not self._stop.is_set():
            ready, _, _ = select.select([self.read_fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.read_fd, 1 << 16)
                except OSError:
                    return
                if not data:
                    return
                self.bytes += len(data)

    def close_writer(self) -> None:
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None

    def close(self) -> None:
        self.close_writer()
        self._stop.set()
        self._thread.join(timeout=1)
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None


class Sandbox:
    """A per-kernel folder, its uid and the command that starts a kernel inside the sandbox.

    ``root`` is the folder to use (it is created; default: a new folder in TMPDIR) and ``uid``
    the kernel's uid (default: :func:`allocate_uid`). Call :meth:`cleanup` when done: it kills
    every process of the uid and removes the folder.
    """

    def __init__(self, limits: Limits, root: Path | None = None, uid: int | None = None):
        self.limits = limits
        self.mode = sandbox_mode()
        if root is None:
            self.root = Path(tempfile.mkdtemp(prefix="gdlab-kernel-"))
        else:
            self.root = Path(root)
            self.root.mkdir(mode=0o700)
        self.work = self.root / "work"
        self.conn = self.root / "conn"
        self.stub = self.root / "stub"
        for path in (self.work, self.conn, self.stub):
            path.mkdir()
        (self.stub / "__init__.py").write_text(STUB)
        self.uid = self.gid = None
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        if self.mode == "bwrap" or (is_root and _others_can_run_python()):
            self.uid = self.gid = uid if uid is not None else allocate_uid()
        if self.uid is not None:
            os.chmod(self.root, 0o711)
            for path in (self.work, self.conn):
                os.chown(path, self.uid, self.gid)
        self.library = Path(__file__).resolve().parents[2]  # the folder that holds gdlab/
        self.home = HOME if self.mode == "bwrap" else str(self.work)

    def kernel_env(self) -> dict[str, str]:
        home = self.home
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "USER": "student",
            "LOGNAME": "student",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(self.library),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": f"{home}/.matplotlib",
            "IPYTHONDIR": f"{home}/.ipython",
            "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
            "JUPYTER_DATA_DIR": f"{home}/.jupyter",
            "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter",
            "TMPDIR": "/tmp" if self.mode == "bwrap" else home,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed on some CPUs
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def _bwrap_args(self) -> list[str]:
        """The allow-list: every path the kernel sees, in mount order."""
        bwrap = shutil.which("bwrap")
        args = [*_bwrap_probe_command(bwrap), *_system_links()]
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        for folder in ("/etc", "/var", "/home"):  # bwrap would make them 0700
            args += ["--perms", "0755", "--dir", folder]
        for etc in ("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/fonts"):
            args += ["--ro-bind-try", etc, etc]
        args += ["--ro-bind", str(self.root / "passwd"), "/etc/passwd"]
        args += ["--ro-bind", str(self.root / "group"), "/etc/group"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(self.limits.tmpfs_bytes), "--tmpfs", "/tmp"]
        args += ["--perms", "1777", "--size", str(self.limits.home_bytes), "--tmpfs", "/dev/shm"]
        args += ["--symlink", "/tmp", "/var/tmp"]
        args += ["--perms", "1777", "--size", str(self.limits.home_bytes), "--tmpfs", HOME]
        python = {
            Path(sys.base_prefix).resolve(),
            Path(sys.prefix).resolve(),
            Path(sys.executable).resolve().parent.parent,
        }
        package = self.library / "gdlab"
        folders = {INSIDE}  # the folders above the bound paths: made traversable, nothing more
        for path in [*python, package]:
            folders.update(str(p) for p in path.parents if str(p) not in ("/", "/tmp"))
        for folder in sorted(folders, key=lambda f: (f.count("/"), f)):
            args += ["--perms", "0755", "--dir", folder]
        for path in sorted(python):
            args += ["--ro-bind", str(path), str(path)]
        args += ["--ro-bind", str(package), str(package)]
        args += ["--ro-bind", str(self.stub), str(package / "grading")]
        args += ["--bind", str(self.conn), f"{INSIDE}/conn"]
        args += ["--ro-bind", str(LAUNCHER), f"{INSIDE}/launch.py"]
        args += ["--ro-bind", str(self.root / "inner.json"), f"{INSIDE}/launch.json"]
        args += ["--chdir", "/"]
        return args

    def config(self, connection_file: str) -> dict:
        python = sys.executable
        if self.mode == "bwrap":  # the same sockets, seen from inside at /.gdlab/conn
            name = Path(connection_file).name
            connection_file = f"{INSIDE}/conn/{name}"
        argv = [python, "-m", "ipykernel_launcher", "-f", connection_file]
        argv += ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]
        argv += ["--IPKernelApp.outstream_class=gdlab.kernel_output.BoundedOutStream"]
        limits = {
            "RLIMIT_AS": self.limits.memory_bytes,
            "RLIMIT_FSIZE": self.limits.file_bytes,
            "RLIMIT_NOFILE": 512,
            "RLIMIT_CORE": 0,
            "RLIMIT_CPU": int(self.limits.notebook_timeout * 2) + 10,
        }
        if self.uid is not None:  # a uid of its own: the limit counts this sandbox only
            limits["RLIMIT_NPROC"] = self.limits.processes
        config = {
            "mode": self.mode,
            "limits": limits,
            "cwd": self.home,
            "uid": self.uid,
            "gid": self.gid,
            "env": self.kernel_env(),
            "argv": argv,
        }
        if self.mode == "bwrap":
            config["bwrap"] = self._bwrap_args()
            config["seccomp"] = str(self.root / "seccomp.bpf")
            config["inner"] = [python, "-I", "-S", f"{INSIDE}/launch.py", f"{INSIDE}/launch.json"]
        return config

    def command(self, connection_file: str) -> list[str]:
        """The argv that starts the kernel in the sandbox (files it needs are written here)."""
        if self.mode == "bwrap":  # the kernel's copy names its sockets by their inside path
            info = json.loads(Path(connection_file).read_text())
            if info.get("transport") == "ipc":
                info["ip"] = f"{INSIDE}/conn/{Path(info['ip']).name}"
            connection_file = str(self.conn / "kernel-inside.json")
            Path(connection_file).write_text(json.dumps(info))
        if self.uid is not None:
            os.chown(connection_file, self.uid, self.gid)
            os.chown(self.conn, self.uid, self.gid)
        if self.mode == "bwrap":
            (self.root / "seccomp.bpf").write_bytes(seccomp_filter())
            uid = self.uid
            (self.root / "passwd").write_text(
                f"root:x:0:0::/:/usr/sbin/nologin\nstudent:x:{uid}:{uid}::{HOME}:/bin/sh\n"
            )
            (self.root / "group").write_text(f"root:x:0:\nstudent:x:{uid}:\n")
            for name in ("passwd", "group"):
                os.chmod(self.root / name, 0o644)
        config = self.config(connection_file)
        inner = {k: v for k, v in config.items() if k not in ("bwrap", "seccomp", "inner")}
        (self.root / "inner.json").write_text(json.dumps(inner))
        config_file = self.root / "launch.json"
        config_file.write_text(json.dumps(config))
        return [sys.executable, "-I", "-S", str(LAUNCHER), str(config_file)]

    def lock_connection_folder(self) -> None:
        """Once the kernel has made its sockets, take back its connection folder: the kernel
        can still use the sockets but no longer create files on the host's disk there."""
        if self.uid is not None:
            try:
                os.chown(self.conn, 0, 0)
                os.chmod(self.conn, 0o755)
            except OSError:
                pass

    def processes(self) -> list[int]:
        """Pids running as this sandbox's uid (Linux; else an empty list)."""
        return [] if self.uid is None else uid_processes(self.uid)

    def reap(self, timeout: float = 5.0) -> None:
        """Wait until no process of the sandbox's uid is left; SIGKILL stragglers.

        Killing the kernel ends its PID namespace, and with it every process inside, but
        asynchronously; in mode ``plain`` the uid is the only handle on escaped processes.
        """
        kill_uid(self.uid, timeout)

    def cleanup(self) -> None:
        self.reap()
        remove_tree(self.root)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that ignores kernelspecs and starts the kernel in a :class:`Sandbox`.

    It talks to the kernel over Unix sockets in the sandbox's directory (the kernel has no
    network) and never restarts a dead kernel by itself: the runner decides. The kernel's
    descriptor 0 is ``/dev/null``, 1 and 2 an :class:`OutputSink`. Its client drops any
    message longer than ``max_message_bytes`` as it arrives (ZeroMQ's ``MAXMSGSIZE``: the
    connection is dropped and made again), so the grader never holds a huge print in memory.
    """

    def __init__(self, sandbox: Sandbox, max_message_bytes: int = 32 * 2**20, **kwargs):
        super().__init__(transport="ipc", autorestart=False, **kwargs)
        self.sandbox = sandbox
        self.ip = str(sandbox.conn / "k")
        self.connection_file = str(sandbox.conn / "kernel.json")
        self.sink: OutputSink | None = None
        self.client_context = _client_context(int(max_message_bytes))
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

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if self.sink is not None:
            self.sink.close()
        self.sink = OutputSink()
        kw.update(stdin=subprocess.DEVNULL, stdout=self.sink.write_fd, stderr=self.sink.write_fd)
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            self.sink.close_writer()

    def client(self, **kwargs):
        kwargs.setdefault("context", self.client_context)
        return super().client(**kwargs)

    def close_sink(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None


@functools.cache
def _client_context(max_message_bytes: int) -> zmq.asyncio.Context:
    """The ZeroMQ context of the kernel clients: every socket it makes drops longer messages,
    and gives up sending after two seconds (a kernel that broke its own sockets must not
    block the grader: a request to it then fails as if it had died)."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
    context.setsockopt(zmq.SNDTIMEO, 2000)
    context.setsockopt(zmq.LINGER, 0)
    return context
