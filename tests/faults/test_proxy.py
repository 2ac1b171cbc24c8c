"""nginx (deploy/nginx.conf.template) in front of the Procfile's gunicorn, and gunicorn alone.

Through nginx: 100 slowloris connections (headers sent a line at a time, never
finished) and 100 slow bodies (a POST whose body trickles in) are held open while a
normal visitor's pages are answered; the time each took is printed. An oversized body
is refused by nginx: gunicorn's access log never shows it.

Without the proxy: an oversized body (96 MB announced, with the csrftoken cookie any
visitor has) is refused by Django with 413 before any of it is read, and nothing is
written to the temporary folder.

nginx runs as a foreground process with its own prefix, configuration and temporary
folders in the test's temporary folder, listening on a free loopback port.
"""

import contextlib
import getpass
import http.client
import re
import socket
import subprocess
import time

import pytest
from django.conf import settings as django_settings

from .procs import REPO, Browser, Procs, free_port, production_env, request

NGINX = "/usr/sbin/nginx"
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
SLOW = 100  # of each kind
ADMIN_URL = django_settings.ADMIN_URL


def render_site_config(listen, upstream):
    text = TEMPLATE.read_text()
    for name, value in {
        "PRACTICE_LISTEN": listen,
        "PRACTICE_UPSTREAM": upstream,
        "ADMIN_URL": ADMIN_URL,
    }.items():
        text = text.replace("${" + name + "}", value)
    return text


class Nginx:
    def __init__(self, folder, upstream_port):
        self.port = free_port()
        self.folder = folder
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "practice.conf").write_text(
            render_site_config(f"127.0.0.1:{self.port}", f"127.0.0.1:{upstream_port}")
        )
        (folder / "nginx.conf").write_text(
            f"""
daemon off;
user {getpass.getuser()};
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/practice.conf;
}}
"""
        )
        self.log = (folder / "logs" / "stdout.log").open("wb")
        self.popen = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(folder),
                "-e",
                str(folder / "logs" / "error.log"),
                "-c",
                str(folder / "nginx.conf"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.errors()
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            time.sleep(0.05)
        raise AssertionError(f"nginx did not listen:\n{self.errors()}")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def errors(self):
        path = self.folder / "logs" / "error.log"
        return path.read_text() if path.exists() else ""

    def access_log(self):
        return (self.folder / "logs" / "stdout.log").read_text()

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def stack(empty_database, tmp_path_factory):
    """gunicorn started by the Procfile's web line, nginx in front of it."""
    procs = Procs()
    web = procs.start_web(production_env(empty_database, TRUSTED_PROXY_COUNT="1"))
    nginx = Nginx(tmp_path_factory.mktemp("nginx"), web.port)
    try:
        yield web, nginx
    finally:
        nginx.stop()
        procs.stop_all()


def open_socket(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    return sock


def still_open(sock):
    """True while the server has not closed the connection."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def slowloris(port):
    sock = open_socket(port)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n")
    return sock


def slow_body(port):
    sock = open_socket(port)
    sock.sendall(
        b"POST /consult/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nname="
    )
    return sock


def timed_get(base, path):
    started = time.monotonic()
    response = request("GET", base + path, timeout=30)
    return response.status, time.monotonic() - started


def test_slow_clients_held_by_nginx_do_not_stop_a_normal_visitor(stack, capsys):
    _web, nginx = stack
    # A visitor's pages, once before the attack (each worker's first render is slower).
    before = {path: timed_get(nginx.base_url, path) for path in ("/", "/consult/", "/healthz")}
    held = [slowloris(nginx.port) for _ in range(SLOW)] + [
        slow_body(nginx.port) for _ in range(SLOW)
    ]
    try:
        # Keep them slow for a few seconds: a header line, a body byte, now and then.
        for _ in range(3):
            time.sleep(1)
            for n, sock in enumerate(held):
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-a: b\r\n" if n < SLOW else b"a")
        open_slowloris = sum(still_open(sock) for sock in held[:SLOW])
        open_bodies = sum(still_open(sock) for sock in held[SLOW:])
        timings = {path: timed_get(nginx.base_url, path) for path in ("/", "/consult/", "/healthz")}
        with capsys.disabled():
            print(
                f"\n[proxy] held open through nginx: {open_slowloris} slowloris connections,"
                f" {open_bodies} slow bodies"
            )
            for path, (status, seconds) in timings.items():
                print(
                    f"[proxy] a normal visitor's GET {path} meanwhile: {status} in"
                    f" {seconds * 1000:.0f} ms (before the attack: {before[path][1] * 1000:.0f} ms)"
                )
        assert open_slowloris == SLOW and open_bodies == SLOW
        assert {path: status for path, (status, _) in timings.items()} == {
            "/": 200,
            "/consult/": 200,
            "/healthz": 200,
        }
        assert "127.0.0.1" not in nginx.access_log()
    finally:
        for sock in held:
            sock.close()


def post_too_large(base, path, size, cookies=""):
    response = request(
        "POST",
        base + path,
        body=b"x" * size,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
        timeout=30,
    )
    return response.status


def gunicorn_saw(web, method, path):
    return re.search(rf'"{method} {re.escape(path)} HTTP', web.output()) is not None


def test_an_oversized_body_is_refused_by_nginx_before_django_sees_it(stack):
    web, nginx = stack
    assert post_too_large(nginx.base_url, "/consult/", 200 * 1024) == 413
    assert post_too_large(nginx.base_url, "/blog/", 200 * 1024) == 413
    time.sleep(0.5)
    assert not gunicorn_saw(web, "POST", "/consult/")
    assert not gunicorn_saw(web, "POST", "/blog/")
    # Under the admin, where images are uploaded, a larger body passes on to Django.
    status = post_too_large(nginx.base_url, f"/{ADMIN_URL}login/", 1024 * 1024)
    assert status == 403, nginx.errors()
    time.sleep(0.5)
    assert gunicorn_saw(web, "POST", f"/{ADMIN_URL}login/")


def test_nginx_and_django_refuse_the_same_sizes():
    text = TEMPLATE.read_text()
    public, admin = re.findall(r"client_max_body_size (\d+)([km]);", text)
    units = {"k": 1024, "m": 1024 * 1024}
    assert int(public[0]) * units[public[1]] == django_settings.MAX_REQUEST_BODY
    assert int(admin[0]) * units[admin[1]] == django_settings.MAX_ADMIN_REQUEST_BODY


def test_nginx_passes_the_client_address_so_the_consult_limit_holds(stack):
    """A visitor who writes their own X-Forwarded-For still counts as themselves."""
    _web, nginx = stack
    env_limit = 5
    statuses = []
    for n in range(env_limit + 1):
        visitor = Browser(nginx.base_url, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        assert visitor.open_form().status == 200
        statuses.append(visitor.submit(name=f"Visitor {n}", email=f"v{n}@example.org").status)
    assert statuses == [302] * env_limit + [429]


def test_without_the_proxy_an_oversized_body_is_refused_before_anything_is_written(
    procs, empty_database, tmp_path, capsys
):
    uploads = tmp_path / "tmp"
    uploads.mkdir()
    web = procs.start_web(production_env(empty_database, TMPDIR=str(uploads)))
    form = Browser(web.base_url)
    assert form.open_form().status == 200
    cookies = "; ".join(f"{k}={v}" for k, v in form.cookies.items())
    boundary = "b0undary"
    announced = 96 * 1024 * 1024
    for path in ("/consult/", "/blog/", f"/{ADMIN_URL}login/"):
        conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(announced))
        conn.putheader("Cookie", cookies)
        conn.endheaders()
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        sent = 0
        with contextlib.suppress(OSError):
            conn.send(head)
            for _ in range(256):  # up to 4 MB, unless the answer comes first
                conn.send(b"\0" * 16384)
                sent += 16384
        response = conn.getresponse()
        assert response.status == 413, (path, response.status)
        conn.close()
        assert list(uploads.iterdir()) == [], f"{path}: a temporary file was written"
        with capsys.disabled():
            print(
                f"\n[proxy] gunicorn alone, POST {path} with the csrftoken cookie, 96 MB"
                f" announced: 413 when the client had written {sent // 1024} KB; nothing"
                " written to disk"
            )
