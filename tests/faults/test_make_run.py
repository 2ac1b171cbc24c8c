"""`make run PORT=…` (scripts/serve-dev.sh) on a new local database: every link follows the
port it serves on, and the booking page offers example open times, marked as such."""

import time

from .procs import Browser, Proc, free_port, production_env, request


def test_make_run_on_another_port_links_to_that_port_and_offers_example_times(empty_database):
    port = free_port()
    env = production_env(empty_database, DEBUG="true", CONSULT_MIN_SECONDS="0")
    for unset in ("SITE_URL", "EMAIL_URL"):  # as on a newcomer's machine
        env.pop(unset)
    proc = Proc("make-run", ["sh", "scripts/serve-dev.sh", str(port)], env, port)
    site = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.running(), proc.output()[-4000:]
            try:
                if request("GET", site + "/", timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        visitor = Browser(site)
        page = visitor.open_form()
        assert page.status == 200
        assert f'<link rel="canonical" href="{site}/consult/">' in page.text
        assert "Example open times." in page.text
        assert visitor.open_slots, "the example hours offer times"
        assert f"<loc>{site}/</loc>" in request("GET", site + "/sitemap.xml").text
        assert (
            f"{site}/blog/when-closeness-feels-unsafe/" in request("GET", site + "/blog/feed/").text
        )

        sent = visitor.submit(slot=visitor.open_slots[0], email="newcomer@example.org")
        assert sent.status == 302, sent.text[:2000]
        deadline = time.monotonic() + 30
        while f"{site}/consult/manage/" not in proc.output() and time.monotonic() < deadline:
            time.sleep(0.3)
        # The visitor's email (printed to the console) links to the port served on.
        assert f"{site}/consult/manage/" in proc.output(), proc.output()[-4000:]
        assert "127.0.0.1:8000" not in proc.output()
    finally:
        proc.stop()
