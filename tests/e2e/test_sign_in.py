"""Both apps: a real browser signs in with the core's accounts; a wrong password is a sentence, not a traceback."""

import pytest

from .conftest import DEMO_PASSWORD
from .harness import click_button, fill_text, open_page, sign_in, wait_for_text

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


def _choose(driver, label: str, option: str) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    box = WebDriverWait(driver, 30).until(ec.element_to_be_clickable(
        ("css selector", f"input[role='combobox'][aria-label=\"{label}\"]")))
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(option)
    WebDriverWait(driver, 30).until(ec.element_to_be_clickable(
        ("xpath", f"//*[@role='option'][normalize-space(.)=\"{option}\"]"))).click()


def test_a_reload_and_a_second_tab_keep_the_session_and_the_project_until_sign_out(start_app, browser, engine):
    """Issue 20: the session is an HttpOnly cookie set by the API, shared by the tabs and surviving a reload; the
    current project is the user's, so a reload and a second tab open on it; signing out ends it for every tab."""
    from automl_canvas.auth.users import get_user
    from automl_canvas.db import session_scope
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project

    with session_scope(engine) as s:
        ana = get_user(s, "ana")
        for name in ("Alpha", "Beta"):  # with no current project the page starts on the newest, Beta
            create_project(s, ana, ProjectCreate(name=name, question=f"{name}'s question?"))
    app = start_app("analyst")
    sign_in(browser, app.url, "ana", DEMO_PASSWORD)
    cookie = browser.get_cookie("canvas_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert "canvas_session" not in browser.execute_script("return document.cookie")  # no page script can read it
    assert "for this tab only" not in browser.find_element("tag name", "body").text

    open_page(browser, "Projects")
    wait_for_text(browser, "Beta's question?")
    _choose(browser, "Current project", "Alpha")
    wait_for_text(browser, "Alpha's question?")

    browser.refresh()  # a reload: still signed in, still on Alpha
    wait_for_text(browser, "Signed in as")
    wait_for_text(browser, "Alpha's question?")
    assert "Beta's question?" not in browser.find_element("tag name", "body").text

    first = browser.current_window_handle
    browser.switch_to.new_window("tab")  # a second tab of the same browser: signed in, on the same project
    browser.get(app.url + "/portfolio")
    wait_for_text(browser, "Signed in as")
    wait_for_text(browser, "Assess: Alpha")
    assert "Pick or create a project first" not in browser.find_element("tag name", "body").text

    click_button(browser, "Sign out")  # in the second tab: the session ends for both
    _sign_in_form_shown(browser)
    assert browser.get_cookie("canvas_session") is None  # cleared by the API, not only refused
    browser.refresh()
    _sign_in_form_shown(browser)
    browser.switch_to.window(first)
    browser.refresh()
    _sign_in_form_shown(browser)


def _sign_in_form_shown(driver) -> None:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60).until(ec.visibility_of_element_located(("css selector", "input[aria-label='Password']")))
    assert "Signed in as" not in driver.find_element("tag name", "body").text


def test_without_the_api_a_tab_signs_in_on_its_own(product_env, browser, tmp_path):
    """``up --no-api``: no cookie to be had, so the tab signs in by itself (as before) and says a reload signs it out."""
    from .harness import REPO, StreamlitServer

    app = StreamlitServer(REPO / "apps" / "analyst" / "app.py", product_env, tmp_path / "analyst.log")  # no API
    try:
        sign_in(browser, app.url, "ana", DEMO_PASSWORD)
        wait_for_text(browser, "Signed in for this tab only")
        assert browser.get_cookie("canvas_session") is None
        browser.refresh()
        _sign_in_form_shown(browser)
    finally:
        app.stop()
