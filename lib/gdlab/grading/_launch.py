"""Start a student kernel inside the sandbox: keyring, limits, an unprivileged user, exec.

Run as ``python -I -S _launch.py CONFIG.json`` (standard library only, no site packages) by
the kernel manager. It never returns: it replaces itself with the kernel, or, in mode
``bwrap``, with Bubblewrap, which runs this same file again inside the sandbox.

Outside (the first run, as the grader's user):

1. join a new, empty session keyring (the grader's is not inherited);
2. mode ``bwrap``: ignore SIGINT (Bubblewrap's own processes must survive the interrupts the
   grader sends to the process group; the kernel sets it back), and exec ``bwrap`` with the
   allow-list and the seccomp filter (an inherited descriptor that ``bwrap`` reads and closes);
   mode ``plain``: go on below.

Inside (mode ``bwrap``: run by ``bwrap`` as ``launch.py /.gdlab/launch.json``):

3. set resource limits, drop to the submission's uid/gid with no supplementary groups and
   ``no_new_privs``, ask for SIGKILL if the parent dies (the uid change cleared it);
4. close every descriptor but 0, 1 and 2, change to the home folder and exec the kernel with
   a clean environment.
"""

import ctypes
import json
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "i686": 288, "armv7l": 311}
KEYCTL_JOIN_SESSION_KEYRING = 1


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def new_session_keyring():
    """Join a new anonymous session keyring (Linux); elsewhere nothing to do."""
    number = SYS_KEYCTL.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if number is not None:
        _libc().syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None)


def apply_limits(limits):
    for name, value in limits.items():
        res = getattr(resource, name, None)
        if res is not None:
            try:
                resource.setrlimit(res, (value, value))
            except (ValueError, OSError):
                pass  # e.g. RLIMIT_AS on macOS; the grader's wall-clock limits still hold


def drop_privileges(uid, gid):
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def die_with_parent():
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def start_kernel(config):
    """Limits, user, descriptors, exec: the last steps in both modes."""
    apply_limits(config["limits"])
    if config.get("uid") is not None and os.geteuid() == 0:
        drop_privileges(config["uid"], config["gid"])
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.closerange(3, 1 << 20)  # close_range(2) on Linux: one system call
    os.chdir(config["cwd"])
    os.umask(0o077)
    os.execve(config["argv"][0], config["argv"], config["env"])


def main():
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    if config["mode"] != "bwrap":
        try:
            os.setsid()  # one process group for the grader to kill
        except PermissionError:
            pass  # already the leader of its own session (jupyter_client starts it so)
        new_session_keyring()
        start_kernel(config)
    if "bwrap" not in config:  # inside: bwrap ran this file again with the inner config
        start_kernel(config)
    new_session_keyring()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # bwrap's processes ignore interrupts
    os.umask(0o022)
    seccomp = os.open(config["seccomp"], os.O_RDONLY)
    os.set_inheritable(seccomp, True)
    argv = [*config["bwrap"], "--seccomp", str(seccomp), "--", *config["inner"]]
    os.execve(argv[0], argv, {"PATH": "/usr/bin:/bin"})


if __name__ == "__main__":
    main()
