#!/usr/bin/env python3
"""Run a command beside a private PostgreSQL server, for local work and tests.

    python scripts/localpg.py --data var/postgres -- python manage.py runserver
    python scripts/localpg.py --temp -- python -m pytest
    python scripts/localpg.py --ensure-binaries

When DATABASE_URL is already set, the command simply runs against that server.
Otherwise a server is started on a free loopback port (TCP only, no socket file),
DATABASE_URL is exported to the command, and the server is stopped when the command
ends. `--data` keeps the cluster and reuses it next time (and reuses a server that
is already running on it); `--temp` uses a throwaway cluster that is deleted after.

Binaries come from $PG_BIN, Debian's /usr/lib/postgresql/N/bin, `pg_ctl` on the
PATH, or the `pgserver` wheel (which bundles PostgreSQL). PostgreSQL refuses to run
as root, so as root the server runs as the `postgres` user (created if missing).

Only the standard library is used: this runs before the virtualenv has anything.
"""

import argparse
import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DB_USER = "practice"
DB_NAME = "practice"


def find_bin_dir():
    candidates = []
    if os.environ.get("PG_BIN"):
        candidates.append(os.environ["PG_BIN"])
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    candidates.extend(reversed(debian))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    try:
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin"))
    except ImportError:
        pass
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def ensure_binaries():
    """Install the pgserver wheel into this interpreter when no PostgreSQL is present."""
    if find_bin_dir():
        return
    print("localpg: no PostgreSQL found on this machine; installing the pgserver wheel")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pgserver==0.1.4"], check=True)
    if not find_bin_dir():
        sys.exit("localpg: pgserver installed but its binaries were not found")


def server_user():
    """The account that owns and runs the cluster: ourselves, or `postgres` as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"],
            check=True,
        )
        return pwd.getpwnam("postgres")


def reachable(user, path):
    """Whether the server's account can read and enter this folder."""
    if user is None:
        return True
    probe = subprocess.run(
        ["test", "-r", str(path), "-a", "-x", str(path)],
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        check=False,
    )
    return probe.returncode == 0


def reachable_place(user, path, kind):
    """The folder itself, or (as root, in a private folder such as /root) a stand-in.

    PostgreSQL refuses to run as root, and the `postgres` account cannot enter a
    root-only home folder, so binaries are copied and data kept under /var/tmp.
    """
    if reachable(user, path.parent if kind == "data" else path):
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    # /var/tmp survives reboots, unlike /tmp, and is open to every account.
    stand_in = Path("/var/tmp") / f"practice-pg-{kind}-{digest}"  # noqa: S108
    if kind == "bin":
        # pgserver's binaries find their libraries at ../../../pgserver.libs: copy the
        # package and its libraries side by side, keeping that layout.
        package = path.parent.parent
        if not stand_in.exists():
            for folder in (package, package.parent / f"{package.name}.libs"):
                if folder.exists():
                    shutil.copytree(folder, stand_in / folder.name, symlinks=True)
        stand_in = stand_in / package.name / path.parent.name / path.name
    print(f"localpg: {path} is private to root; using {stand_in} instead")
    return stand_in


def run_as(user, cmd, **kwargs):
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        kwargs.setdefault("cwd", "/")
    return subprocess.run(cmd, check=True, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_port(data_dir):
    """The port of a server already running on this cluster, or None."""
    pid_file = data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        os.kill(int(lines[0]), 0)
        return int(lines[3])
    except (OSError, ValueError, IndexError):
        return None


def wait_for(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"localpg: PostgreSQL did not accept connections on port {port}")


def init_cluster(bin_dir, data_dir, user, throwaway):
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(data_dir, user.pw_uid, user.pw_gid)
    os.chmod(data_dir, 0o700)
    run_as(
        user,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ],
        stdout=subprocess.DEVNULL,
    )
    settings = [
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        "max_connections = 200",
        "timezone = 'UTC'",
    ]
    if throwaway:
        # A test cluster holds nothing worth an fsync; this makes test runs much faster.
        settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    with open(data_dir / "postgresql.conf", "a") as conf:
        conf.write("\n# added by scripts/localpg.py\n" + "\n".join(settings) + "\n")


def start(bin_dir, data_dir, user, port):
    run_as(
        user,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-l",
            str(data_dir / "server.log"),
            "-o",
            f"-p {port}",
            "-w",
            "start",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for(port)


def stop(bin_dir, data_dir, user):
    run_as(
        user,
        [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def create_database(bin_dir, port, user):
    result = subprocess.run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 and "already exists" not in result.stderr:
        sys.exit(f"localpg: createdb failed: {result.stderr.strip()}")


def run_command(command, env):
    """Run the command, passing Ctrl-C and SIGTERM on to it and everything it started.

    In a terminal the command shares our process group, so Ctrl-C reaches all of it
    and interactive prompts (createsuperuser) keep the terminal. Otherwise (CI, a
    process manager, a background job) it gets a group of its own, which receives
    every signal we get, so a shell command's children (the dev server, the email
    worker) stop too, and nothing it left running outlives the database.
    """
    own_group = not sys.stdin.isatty()
    child = subprocess.Popen(command, env=env, start_new_session=own_group)

    def send(signum):
        with contextlib.suppress(ProcessLookupError):
            if own_group:
                os.killpg(child.pid, signum)
            else:
                child.send_signal(signum)

    signal.signal(signal.SIGINT, lambda signum, _frame: send(signum))
    signal.signal(signal.SIGTERM, lambda signum, _frame: send(signum))
    try:
        return child.wait()
    finally:
        if own_group:
            send(signal.SIGTERM)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data", type=Path, help="keep the cluster in this folder")
    where.add_argument("--temp", action="store_true", help="use a throwaway cluster")
    parser.add_argument("--ensure-binaries", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    if args.ensure_binaries:
        ensure_binaries()
        if not command:
            return 0
    if not command:
        parser.error("give a command to run after --")
    if os.environ.get("DATABASE_URL"):
        return run_command(command, os.environ.copy())
    if not (args.data or args.temp):
        parser.error("DATABASE_URL is not set: pass --data DIR or --temp")

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("localpg: no PostgreSQL binaries; run `make install` (it installs pgserver)")
    user = server_user()

    if args.temp:
        data_dir = Path(tempfile.mkdtemp(prefix="practice-pg-")) / "data"
        if user is not None:
            os.chown(data_dir.parent, user.pw_uid, user.pw_gid)
    else:
        data_dir = args.data.resolve()

    started_here = False
    bin_dir = reachable_place(user, bin_dir, "bin")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir = reachable_place(user, data_dir, "data")
    port = running_port(data_dir)
    try:
        if port is None:
            if not (data_dir / "PG_VERSION").exists():
                init_cluster(bin_dir, data_dir, user, throwaway=args.temp)
            port = free_port()
            start(bin_dir, data_dir, user, port)
            started_here = True
        create_database(bin_dir, port, user)
        env = os.environ.copy()
        env["DATABASE_URL"] = f"postgres://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"
        return run_command(command, env)
    finally:
        if started_here:
            stop(bin_dir, data_dir, user)
        if args.temp:
            shutil.rmtree(data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
