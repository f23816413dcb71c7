"""Phone pages meet the basics (text >= 16 px, tap targets >= 44 px, labelled inputs), speak Indonesian by
default, and load nothing from outside localhost."""

from __future__ import annotations

import pytest

from tests.browser.a11y import assert_phone_basics


@pytest.mark.parametrize(
    "path", ["/", "/booking", "/courier/", "/track/ABCDEF?secret=x", "/track/ABCDEF", "/survey/ABCDEF"]
)
def test_phone_page_basics(new_context, guard, path):
    """Each applicant/courier page passes the text-size, tap-target and label checks at 390x844."""
    page = new_context().new_page()
    page.goto(path)
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("document.documentElement.lang") == "id"
    assert_phone_basics(page)
    guard.assert_clean()


def test_language_switch_to_english(new_context, guard):
    """The switch link turns the booking page to English; formatting follows (en-GB day names, WIB)."""
    page = new_context().new_page()
    page.goto("/booking")
    assert page.get_by_role("button", name="Pesan", exact=True).is_visible()
    page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("html[lang='en']")
    assert page.get_by_role("button", name="Book", exact=True).is_visible()
    page.goto("/")  # remembered by the cookie
    assert page.evaluate("document.documentElement.lang") == "en"
    guard.assert_clean()


def test_courier_login_screen_labels(new_context, guard):
    """A courier who is not logged in sees the login form, with labelled fields and big buttons."""
    page = new_context().new_page()
    page.goto("/courier/")
    page.wait_for_selector("body[data-ready='1']")
    assert page.get_by_label("Nama pengguna").is_visible()
    assert page.get_by_label("Kata sandi").is_visible()
    assert_phone_basics(page)
    guard.assert_clean()
