"""Start a student kernel inside the sandbox: mounts, limits, an unprivileged user, exec.

Run as ``python -I -S _launch.py CONFIG.json`` (standard library only, no site packages),
either as the first process of fresh namespaces made by ``unshare`` (mode ``namespaces``) or
directly (mode ``plain``). It never returns: it replaces itself with the kernel.

In mode ``namespaces`` (Linux, root), in this order:

1. open every path the kernel must keep (the Python installation, the library, the run
   directory), before anything is hidden;
2. mount an empty read-only tmpfs over each hidden path (the grader's tests and output,
   the submissions, home directories, the project checkout) and a fresh size-limited
   writable tmpfs over /tmp, /var/tmp and /dev/shm;
3. bind the kept paths back (read-only, except the run directory) and bind a stub over the
   grading package so that the kernel cannot import the grader's judges;
4. set resource limits, drop to an unprivileged uid/gid with no supplementary groups and
   ``no_new_privs``, change to the work directory and exec the kernel with a clean
   environment.
"""

import ctypes
import json
import os
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384
PR_SET_NO_NEW_PRIVS = 38


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _mount(libc, source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _inside(path, parents):
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in parents)


def build_namespace(config):
    libc = _libc()
    keep = [p for p in config["keep"] if os.path.exists(p)]
    fds = {p: os.open(p, os.O_PATH) for p in keep}
    stub_fd = os.open(config["stub"][0], os.O_PATH) if config.get("stub") else None
    fresh = [p for p in config["fresh_tmp"] if os.path.isdir(p)]
    hidden = (p for p in config["hide"] if os.path.isdir(p) and not _inside(p, fresh))
    hide = sorted(hidden, key=len)  # anything under a fresh tmpfs is gone already
    size = config["tmpfs_bytes"]
    for path in hide:
        _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path in fresh:
        _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for path in keep:
        if _inside(path, hide + fresh):
            os.makedirs(path, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{fds[path]}", path, None, MS_BIND | MS_REC)
            if path not in config["writable"]:
                flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
                _mount(libc, None, path, None, flags)
    if stub_fd is not None:
        _mount(libc, f"/proc/self/fd/{stub_fd}", config["stub"][1], None, MS_BIND)
    for path in hide:  # now that the kept paths are in place, freeze the covers
        _mount(libc, None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for fd in [*fds.values(), stub_fd]:
        if fd is not None:
            os.close(fd)


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
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def main():
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    if config["mode"] == "namespaces":
        build_namespace(config)
    else:
        try:
            os.setsid()  # one process group for the grader to kill
        except PermissionError:
            pass  # already the leader of its own session (jupyter_client starts it so)
    apply_limits(config["limits"])
    os.chdir(config["cwd"])
    if config.get("uid") is not None and os.geteuid() == 0:
        drop_privileges(config["uid"], config["gid"])
    os.umask(0o077)
    os.execve(config["argv"][0], config["argv"], config["env"])


if __name__ == "__main__":
    main()
