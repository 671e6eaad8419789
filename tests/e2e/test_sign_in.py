"""Both apps: a real browser signs in with the core's accounts; a wrong password is a sentence, not a traceback."""

import pytest

from .conftest import DEMO_PASSWORD
from .harness import click_button, fill_text, sign_in, wait_for_text

pytestmark = pytest.mark.e2e


def test_analyst_signs_in_and_wrong_password_is_refused(start_app, browser):
    app = start_app("analyst")
    browser.get(app.url)
    fill_text(browser, "Username", "ana")
    # Issue 20: no page list (raw file names) before sign-in, and no Streamlit "Deploy" button or toolbar menu.
    assert not browser.find_elements("css selector", "[data-testid='stSidebarNav'], [data-testid='stAppDeployButton']")
    fill_text(browser, "Password", "not the password")
    click_button(browser, "Sign in")
    wait_for_text(browser, "Wrong username or password.")
    assert "Traceback" not in browser.page_source
    sign_in(browser, app.url, "ana", DEMO_PASSWORD)
    wait_for_text(browser, "Welcome, Ana (analyst)")
    body = browser.find_element("tag name", "body").text
    assert "(analyst) (analyst)" not in body and "Glossary" in body
    assert not browser.find_elements("css selector", "[data-testid='stAppDeployButton']")


def test_scientist_app_refuses_an_analyst(start_app, browser):
    app = start_app("scientist")
    browser.get(app.url)
    fill_text(browser, "Username", "ana")
    fill_text(browser, "Password", DEMO_PASSWORD)
    click_button(browser, "Sign in")
    wait_for_text(browser, "this app is for: admin, scientist")
