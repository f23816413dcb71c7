"""The courier app is an installable PWA whose shell keeps working without network."""

from __future__ import annotations

from tests.browser.helpers import wait_until


def test_service_worker_caches_shell_and_serves_it_offline(new_context, guard):
    """The service worker takes /courier/ as its scope, pre-caches the shell (page, scripts, Leaflet), and a
    reload with no network still shows the app."""
    context = new_context()
    page = context.new_page()
    page.goto("/courier/")
    page.wait_for_selector("body[data-ready='1']")
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope.endswith("/courier/")
    assert page.evaluate("document.querySelector('link[rel=manifest]').href").endswith("/courier/manifest.webmanifest")
    cached = page.evaluate(
        """async () => {
            const keys = await caches.keys();
            const shell = await caches.open(keys.find((k) => k.startsWith('ajib-shell-')));
            return (await shell.keys()).map((r) => new URL(r.url).pathname);
        }"""
    )
    for path in ("/courier/", "/static/js/courier.js", "/static/js/outbox.js", "/static/vendor/leaflet/leaflet.js"):
        assert path in cached, (path, cached)
    wait_until(page, "navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_label("Nama pengguna").is_visible()
    assert page.get_by_test_id("net-state").inner_text().startswith("Luring")
    context.set_offline(False)
    guard.assert_clean()


def test_outbox_survives_reload_and_shows_waiting_items(new_context, guard):
    """Actions queued while offline are kept in IndexedDB across a reload and listed as waiting to sync."""
    context = new_context()
    page = context.new_page()
    page.goto("/courier/")
    page.wait_for_selector("body[data-ready='1']")
    wait_until(page, "navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.evaluate(
        """async () => {
            const outbox = await import('/static/js/outbox.js');
            await outbox.enqueue({kind: 'positions', url: '/api/courier/positions',
                                  json: {batch_id: 'b-test-1', positions: []}, meta: {label: '(0)'}});
        }"""
    )
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    count = page.evaluate("import('/static/js/outbox.js').then(async (o) => (await o.items()).length)")
    assert count == 1
    key = page.evaluate("import('/static/js/outbox.js').then(async (o) => (await o.items())[0].key)")
    assert len(key) == 36  # crypto.randomUUID()
    context.set_offline(False)
    guard.assert_clean()
