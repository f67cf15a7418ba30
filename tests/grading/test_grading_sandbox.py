"""The allow-list sandbox, as a graded kernel sees it (issue 12, failures 4 to 6; issue 19).

The probes run in a kernel started by the grader's own kernel manager (``sandbox_probe``); the
batch tests grade notebooks that try to reach outside, and check the rows and the host after.
These need the ``bwrap`` sandbox: ``make unit`` installs Bubblewrap (``make system-deps``) and
the grader runs as root in CI.
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sandbox_probe as probe  # noqa: E402
import submission_fixtures as fx  # noqa: E402

from gdlab.grading.sandbox import UID_BASE, Limits, Sandbox, sandbox_mode  # noqa: E402

SYSCALLS = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}[platform.machine()]
ADD_KEY, REQUEST_KEY, KEYCTL = SYSCALLS

LOOK = """\
import os, json
def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        return type(error).__name__
print(json.dumps({path: listing(path) for path in PATHS}))
"""

FILL_HOME = """\
import os
written = 0
try:
    for number in range(40):  # 40 files of 32 MiB: 1.25 GiB if nothing stops it
        with open(os.path.expanduser(f"~/fill{number}"), "wb") as handle:
            for _ in range(32):
                handle.write(b"x" * 2**20)
                written += 2**20
except OSError as error:
    print(written // 2**20, error.errno)
"""

KEYRINGS = f"""\
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
def call(*args):
    result = libc.syscall(*args)
    return result, errno.errorcode.get(ctypes.get_errno(), "") if result < 0 else ""
print(call({KEYCTL}, 0, ctypes.c_long(-3), 0))  # KEYCTL_GET_KEYRING_ID of the session keyring
print(call({ADD_KEY}, b"user", b"planted", b"x", 1, ctypes.c_long(-4)))
print(call({REQUEST_KEY}, b"user", b"gdlab-grader-secret", None, 0))
keys, status = open("/proc/keys").read(), open("/proc/self/status").read()
print(keys.count("gdlab"), status.count("Seccomp:\\t2"))
"""


def _visible_top() -> set[str]:
    """The top folders the kernel must see: the system's, and those above the bound paths."""
    bound = [sys.base_prefix, sys.prefix, probe.LIBRARY]
    tops = {Path(p).resolve().parts[1] for p in bound}
    system = {
        name
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
        if Path("/", name).exists()
    }
    return tops | system | {"usr", "etc", "proc", "dev", "tmp", "var", "home", ".gdlab"}


@pytest.fixture(scope="module")
def seen():
    assert sandbox_mode() == "bwrap", "the allow-list sandbox needs bwrap and root"
    paths = ["/", "/etc", "/dev", "/home", "/run", "/var", str(probe.ROOT), str(probe.ROOT / "lib")]
    paths += [str(HERE / "solutions"), "/sys"]
    cells = [f"PATHS = {paths!r}\n" + LOOK, FILL_HOME, KEYRINGS]
    cells += [
        "import os\nprint(os.getuid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    ]
    cells += [
        "import os\ntmp = os.statvfs('/tmp')\n"
        "print(sorted(os.listdir('/tmp')), tmp.f_blocks * tmp.f_frsize)"
    ]
    texts, sandbox = probe.run_cells(cells)
    return texts, sandbox, paths


def test_the_kernel_sees_only_the_allow_list(seen):
    texts, sandbox, paths = seen
    listings = json.loads(texts[0])
    assert set(listings["/"]) == _visible_top()
    assert set(listings["/etc"]) <= {
        "ld.so.cache",
        "alternatives",
        "localtime",
        "fonts",
        "passwd",
        "group",
    }
    assert set(listings["/dev"]) <= {
        "null",
        "zero",
        "full",
        "random",
        "urandom",
        "tty",
        "pts",
        "ptmx",
        "shm",
        "fd",
        "stdin",
        "stdout",
        "stderr",
        "core",
        "console",
    }
    assert listings["/home"] == ["student"]
    assert listings["/run"] == "FileNotFoundError"  # no host sockets, no /run/lock
    assert listings["/sys"] == "FileNotFoundError"
    assert listings["/var"] == ["tmp"]
    assert set(listings[str(probe.ROOT)]) <= {"lib", ".venv"}  # no tests, no other files
    assert listings[str(probe.ROOT / "lib")] == ["gdlab"]
    assert listings[str(HERE / "solutions")] == "FileNotFoundError"


def test_the_home_folder_is_a_size_limited_tmpfs(seen):
    texts, _, _ = seen
    written, error = (int(x) for x in texts[1].split())
    assert written <= Limits().home_bytes // 2**20 and error == 28  # ENOSPC


def test_keyring_system_calls_are_refused(seen):
    texts, _, _ = seen
    lines = texts[2].splitlines()
    assert lines[:3] == ["(-1, 'EPERM')"] * 3
    assert lines[3] == "0 1"  # no gdlab key in /proc/keys; the seccomp filter is on


def test_own_uid_and_own_processes_only(seen):
    texts, sandbox, _ = seen
    uid, pids = texts[3].split(" ", 1)
    assert int(uid) == sandbox.uid and int(uid) >= UID_BASE
    assert json.loads(pids) == [1, 2]  # bwrap's init and the kernel


def test_tmp_is_fresh_and_size_limited(seen):
    """/tmp is a new tmpfs of its own size. When the project itself lives under /tmp (a clean
    clone in a temporary folder, as CI makes), the read-only binds of its venv and lib need
    their parent folders there: that one name, and nothing of the host's /tmp, is listed."""
    texts, _, _ = seen
    tmp = Path("/tmp").resolve()
    project = probe.ROOT.resolve()
    expected = [project.relative_to(tmp).parts[0]] if project.is_relative_to(tmp) else []
    assert texts[4].split() == [repr(expected), str(Limits().tmpfs_bytes)]


def test_each_sandbox_has_a_uid_of_its_own():
    uids = []
    for _ in range(3):
        sandbox = Sandbox(Limits())
        uids.append(sandbox.uid)
        sandbox.cleanup()
    assert len(set(uids)) == 3 and min(uids) >= UID_BASE


GRADER_KEY = """\
import ctypes, json, sys
sys.path.insert(0, {here!r})
import sandbox_probe as probe
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall({keyctl}, 1, None)  # this process gets a session keyring of its own
key = libc.syscall({add_key}, b"user", b"gdlab-grader-secret", b"hunter2", 7, ctypes.c_long(-3))
assert key > 0, ctypes.get_errno()
cell = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
buffer = ctypes.create_string_buffer(64)
read = libc.syscall({keyctl}, 11, ctypes.c_long({{key}}), buffer, 64)  # KEYCTL_READ
print(read, buffer.value, open("/proc/keys").read())
'''.replace("{{key}}", str(key))
texts, _ = probe.run_cells([cell])
print(json.dumps(texts))
"""


def test_a_notebook_cannot_read_the_graders_keyring():
    script = GRADER_KEY.format(here=str(HERE), keyctl=KEYCTL, add_key=ADD_KEY)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    seen_text = json.loads(result.stdout.splitlines()[-1])[0]
    assert seen_text.startswith("-1 b''"), seen_text
    assert "hunter2" not in seen_text and "gdlab-grader-secret" not in seen_text


PLANT = f"""\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for ring in (-4, -5, -3):  # user, user session, session keyrings
    libc.syscall({ADD_KEY}, b"user", b"gdlab-channel", b"psst", 4, ctypes.c_long(ring))
"""
FIND = f"""\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
found = "gdlab-channel" in open("/proc/keys").read()
for ring in (-4, -5, -3):  # KEYCTL_SEARCH
    key = libc.syscall({KEYCTL}, 10, ctypes.c_long(ring), b"user", b"gdlab-channel", 0)
    found = found or key > 0
if found:
    alpha = None  # the channel worked: this student loses a part
"""


def test_two_notebooks_in_a_row_on_one_worker_cannot_pass_a_key(tmp_path):
    folder = tmp_path / "subs"
    solution = fx.solution("steepest_descent")
    fx.write(fx.add_cell(solution, PLANT, 1), folder / "a_plants.ipynb")
    fx.write(fx.add_cell(solution, FIND), folder / "b_finds.ipynb")
    probe.grade(folder, tmp_path / "g.csv", "--seed", "9", "--jobs", "1")
    rows = probe.rows(tmp_path / "g.csv")
    full = fx.full_score("steepest_descent")
    assert (rows["b_finds.ipynb"]["status"], rows["b_finds.ipynb"]["score"]) == ("ok", full)
    assert rows["a_plants.ipynb"]["score"] == full


LEAVE_TRACES = """\
import os, subprocess
for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.path.expanduser("~")):
    try:
        with open(os.path.join(folder, "gdlab-trace-{tag}"), "w") as handle:
            handle.write("left behind")
    except OSError:
        pass
subprocess.Popen(["sleep", "4252"], start_new_session=True)
path = os.path.expanduser("~")
fd = os.open(path, os.O_RDONLY)
for _ in range(3000):
    os.mkdir("d", dir_fd=fd)
    deeper = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = deeper
os.close(fd)
"""


def test_nothing_of_a_kernel_survives_its_row(tmp_path):
    tag = f"{os.getpid()}-{tmp_path.name}"
    folder = tmp_path / "subs"
    traced = fx.add_cell(fx.solution("smoothness_bound"), LEAVE_TRACES.replace("{tag}", tag), 1)
    fx.write(traced, folder / "traces.ipynb")
    grader_tmp = tmp_path / "tmp"
    grader_tmp.mkdir()
    probe.grade(folder, tmp_path / "g.csv", "--seed", "2", env={"TMPDIR": str(grader_tmp)})
    row = probe.rows(tmp_path / "g.csv")["traces.ipynb"]
    assert (row["status"], row["score"]) == ("ok", fx.full_score("smoothness_bound")), row["reason"]
    for host in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        assert not Path(host, f"gdlab-trace-{tag}").exists(), host
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "sleep 4252" not in ps
    assert list(grader_tmp.iterdir()) == []


def _worker_peak_kb() -> int:
    """The largest VmHWM (kB) among this process's children that are grading workers."""
    peak = 0
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["PPid"]) == os.getpid() and b"worker" in cmdline and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]))
    return peak


def test_a_huge_print_is_dropped_as_it_arrives(tmp_path):
    """One 300 MB print: the worker's peak memory stays near its normal 100 MB (it was about
    1 GB when the message was read whole), and the row says output_limit."""
    import threading

    from gdlab.grading.batch import grade_folder

    folder = tmp_path / "subs"
    loud = fx.add_cell(fx.solution("steepest_descent"), "print('x' * 300_000_000)", 1)
    fx.write(loud, folder / "loud.ipynb")
    result, peak = {}, 0
    thread = threading.Thread(
        target=lambda: result.update(rows=grade_folder(folder, tmp_path / "g.csv", 2, 1))
    )
    thread.start()
    while thread.is_alive():
        peak = max(peak, _worker_peak_kb())
        thread.join(0.02)
    row = probe.rows(tmp_path / "g.csv")["loud.ipynb"]
    assert row["status"] == "output_limit", row["reason"]
    assert "printed too much" in row["reason"]
    assert 0 < peak < 400 * 1024, f"worker peak RSS {peak / 1024:.0f} MB"
