"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright.

A listed and an unlisted person each file an appeal through the page (with an
ID video upload), read their status page, and see exactly the same thing. A
person who gets answers wrong reads why next to the field, in their language,
fixes them and succeeds; on a 375-pixel-wide phone nothing scrolls sideways.
The screenshots ``docs/disputes.md`` shows are taken here: every run takes them,
``make screenshots`` (``UPDATE_SCREENSHOTS=1``) writes them to ``docs/images/``
(a missing one is always written), so a test run leaves the checkout clean.
``make test`` installs Chromium when it can (``make browser``); without it
these tests are skipped, except under ``CI=true`` where they must run.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LISTED, UNLISTED = "13800138000", "13700137000"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PHONE_WIDTH = 375


@pytest.fixture
def shoot(tmp_path):
    """``shoot(page, "appeal-mobile.png")``: a full-page screenshot, into docs/images/ when retaking them."""

    def take(page, name: str) -> None:
        target = IMAGES / name
        if not (os.environ.get("UPDATE_SCREENSHOTS") or not target.exists()):
            target = tmp_path / name
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000  # a page, not a blank

    return take


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is required under CI=true (make browser installs it).", pytrace=False)
        pytest.skip("Chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def file_through_the_page(browser, base: str, phone: str, video) -> tuple[str, str, str]:
    page = browser.new_page()
    page.goto(f"{base}/appeal")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_label("类型 1").select_option("phone")
    page.get_by_label("号码 1").fill(phone)
    page.get_by_label("申诉说明").fill("这个手机号从未在该平台下单，我没有投诉过任何人。请核实。")
    page.get_by_label("联系方式").fill("appellant@example.cn")
    page.get_by_label("上传视频文件").set_input_files(str(video))
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_selector("#status-token")
    receipt = page.locator("main").inner_text()
    appeal, token = page.locator("#appeal-number").inner_text(), page.locator("#status-token").inner_text()
    page.close()
    return appeal, token, receipt.replace(appeal, "<appeal>").replace(token, "<token>")


def read_status(browser, base: str, appeal: str, token: str, lang: str = "zh-CN") -> str:
    page = browser.new_page()
    page.goto(f"{base}/appeal/status?lang={lang}")
    label_appeal, label_token = ("申诉编号", "查询码") if lang == "zh-CN" else ("Appeal number", "Status code")
    page.get_by_label(label_appeal).fill(appeal)
    page.get_by_label(label_token).fill(token)
    page.get_by_role("button", name="查询" if lang == "zh-CN" else "Check").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    page.close()
    return text


def test_a_person_files_an_appeal_and_reads_its_status_without_learning_the_listing(
    browser, live_server, client, app, auth, make_member, tmp_path
):
    shop = auth.headers(make_member("shop-a", roles=["submit"]))
    list_entry(client, app, shop, "a1", phone=LISTED)
    video = tmp_path / "id.mp4"
    video.write_bytes(b"\x00\x00\x00 ftypmp42 handheld ID video")

    listed = file_through_the_page(browser, live_server, LISTED, video)
    unlisted = file_through_the_page(browser, live_server, UNLISTED, video.with_name("id.mp4"))
    assert listed[2] == unlisted[2] and "申诉已收到" in listed[2]

    received = read_status(browser, live_server, listed[0], listed[1])
    assert "已收到" in received
    tick(datetime.now(UTC))
    statuses = [read_status(browser, live_server, appeal, token) for appeal, token, _ in (listed, unlisted)]
    scrubbed = [re.sub(r"A[A-Z2-7]{16}|\d\d:\d\d", "", text) for text in statuses]
    assert scrubbed[0] == scrubbed[1] and "审核中" in scrubbed[0]
    assert "Under review" in read_status(browser, live_server, unlisted[0], unlisted[1], lang="en")
    assert "未找到" in read_status(browser, live_server, listed[0], "a-guess")


#: What a person types and reads, per language: labels, a wrong and a right answer, the note they get.
WORDS = {
    "zh-CN": {
        "type": "类型 1",
        "value": "号码 1",
        "statement": "申诉说明",
        "contact": "联系方式",
        "video": "上传视频文件",
        "submit": "提交申诉",
        "short": "太短了",
        "long": "这个手机号从未在该平台下单，我没有投诉过任何人。请核实。",
        "phone_note": "这不是有效的手机号",
        "statement_note": "您现在写了 3 个字",
        "received": "申诉已收到",
        "phone": "13700137001",
        "shot": "zh",
    },
    "en": {
        "type": "Type 1",
        "value": "Number 1",
        "statement": "Your statement",
        "contact": "How to reach you",
        "video": "Upload the video file",
        "submit": "File the appeal",
        "short": "too short",
        "long": "I never ordered anything on that platform and never complained about anyone.",
        "phone_note": "This is not a valid phone number",
        "statement_note": "it has 9 now",
        "received": "Appeal received",
        "phone": "13700137002",
        "shot": "en",
    },
}


def fill_wrongly(page, base: str, lang: str, video) -> None:
    words = WORDS[lang]
    page.goto(f"{base}/appeal?lang={lang}")
    page.get_by_label(words["type"]).select_option("phone")
    page.get_by_label(words["value"], exact=True).fill("12345")
    page.get_by_label(words["statement"]).fill(words["short"])
    page.get_by_label(words["contact"]).fill("appellant@example.cn")
    page.get_by_label(words["video"]).set_input_files(str(video))
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_selector("#value_0-error")


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_person_reads_what_is_wrong_next_to_the_field_fixes_it_and_files(browser, live_server, lang, tmp_path, shoot):
    words = WORDS[lang]
    video = tmp_path / "id.mp4"
    video.write_bytes(b"\x00\x00\x00 ftypmp42 handheld ID video")
    page = browser.new_page(viewport={"width": 820, "height": 1000})
    fill_wrongly(page, live_server, lang, video)
    assert page.locator("html").get_attribute("lang") == lang
    assert words["phone_note"] in page.locator("#value_0-error").inner_text()
    assert words["statement_note"] in page.locator("#statement-error").inner_text()
    assert "value_0-error" in page.locator("#value_0").get_attribute("aria-describedby")
    shown = page.locator("main").inner_text()
    assert "/statement" not in shown and "Length must" not in shown and page.locator("#notice").count() == 0
    shoot(page, f"appeal-{words['shot']}-error.png")

    page.get_by_label(words["value"], exact=True).fill(words["phone"])
    page.get_by_label(words["statement"]).fill(words["long"])
    page.get_by_label(words["video"]).set_input_files(str(video))  # a refused attempt keeps no file
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_selector("#status-token")
    assert words["received"] in page.locator("h1").inner_text()
    appeal, token = page.locator("#appeal-number").inner_text(), page.locator("#status-token").inner_text()
    shoot(page, f"appeal-{words['shot']}-receipt.png")

    page.goto(f"{live_server}/appeal/status?lang={lang}")
    page.get_by_label("申诉编号" if lang == "zh-CN" else "Appeal number").fill(appeal)
    page.get_by_label("查询码" if lang == "zh-CN" else "Status code").fill(token)
    page.get_by_role("button", name="查询" if lang == "zh-CN" else "Check").click()
    page.wait_for_selector("#appeal-status")
    due = page.locator("#decide-by").inner_text()
    assert ("当天结束前（北京时间）" if lang == "zh-CN" else "end of day (China Standard Time)") in due
    shoot(page, f"appeal-{words['shot']}-status.png")
    page.close()


def test_on_a_phone_nothing_scrolls_sideways(browser, live_server, tmp_path, shoot):
    video = tmp_path / "id.mp4"
    video.write_bytes(b"\x00\x00\x00 ftypmp42 handheld ID video")
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server}/appeal")
    assert scroll_width(page) <= PHONE_WIDTH
    fill_wrongly(page, live_server, "zh-CN", video)  # notes under the fields, the longest form there is
    assert scroll_width(page) <= PHONE_WIDTH
    shoot(page, "appeal-mobile.png")
    page.get_by_label("号码 1", exact=True).fill(UNLISTED)
    page.get_by_label("申诉说明").fill(WORDS["zh-CN"]["long"])
    page.get_by_label(WORDS["zh-CN"]["video"]).set_input_files(str(video))  # a refused attempt keeps no file
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_selector("#status-token")  # the status code is long and unbroken: it must wrap
    assert scroll_width(page) <= PHONE_WIDTH
    shoot(page, "appeal-mobile-receipt.png")
    page.goto(f"{live_server}/appeal/status?lang=en")
    assert scroll_width(page) <= PHONE_WIDTH
    context.close()
