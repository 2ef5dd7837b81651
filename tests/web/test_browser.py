"""End to end in a real browser: Debian's Chromium, headless, driven by Playwright.

A listed and an unlisted person each file an appeal through the page (with an
ID video upload), read their status page, and see exactly the same thing.
``make test`` installs Chromium when it can (``make browser``); without it
these tests are skipped, except under ``CI=true`` where they must run.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime

import pytest

from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LISTED, UNLISTED = "13800138000", "13700137000"


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
    page.get_by_label("联系方式（加密保存，结案后删除）").fill("appellant@example.cn")
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
    scrubbed = [re.sub(r"A[A-Z2-7]{16}|\d{4}-\d\d-\d\d( \d\d:\d\d UTC)?", "", text) for text in statuses]
    assert scrubbed[0] == scrubbed[1] and "审核中" in scrubbed[0]
    assert "Under review" in read_status(browser, live_server, unlisted[0], unlisted[1], lang="en")
    assert "未找到" in read_status(browser, live_server, listed[0], "a-guess")
