"""The public appeal and status pages through Flask's client: labels, languages, CSRF, uploads."""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from federation.web.i18n import LANGUAGES, TEXT
from tests.api.test_disputes import tick
from tests.api.test_lookups import list_entry

LISTED, UNLISTED = "13800138000", "13700137000"
VIDEO = b"\x00\x00\x00 ftypmp42 a short handheld-ID video"


class Fields(HTMLParser):
    """Form controls, their labels, and the page's language."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.lang = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def nonce_of(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def appeal_form(client, phone: str, *, video: bytes | None = VIDEO, declared: str = "", lang: str = "zh-CN") -> dict:
    page = client.get(f"/appeal?lang={lang}").get_data(as_text=True)
    form = {
        "csrf_token": csrf_of(page),
        "nonce": nonce_of(page),
        "type_0": "phone",
        "value_0": phone,
        "statement": "这个手机号从未在该平台下单，我没有投诉过任何人。",
        "contact": "appellant@example.cn",
        "id_video_sha256": declared,
    }
    if video is not None:
        form["id_video_file"] = (io.BytesIO(video), "id.mp4")
    return form


def post_appeal(client, form: dict, lang: str = "zh-CN", address: str = "203.0.113.50"):
    return client.post(
        f"/appeal?lang={lang}", data=form, content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address}
    )


def receipt_of(html: str) -> tuple[str, str]:
    appeal = re.search(r'id="appeal-number">([^<]+)<', html).group(1)
    token = re.search(r'id="status-token">([^<]+)<', html).group(1)
    return appeal, token


def test_every_word_exists_in_both_languages():
    assert all(set(words) == set(LANGUAGES) and all(words.values()) for words in TEXT.values())


@pytest.mark.parametrize("path", ["/appeal", "/appeal/status", "/appeal/resend"])
def test_pages_are_chinese_by_default_english_on_request_and_every_control_is_labelled(client, path):
    page = Fields(client.get(path).get_data(as_text=True))
    assert page.lang == "zh-CN"
    assert page.controls and all(control["id"] in page.labels for control in page.controls)
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert Fields(english).lang == "en" and ("Check an appeal" in english or "Ask to be removed" in english)


def test_a_post_without_the_csrf_token_is_refused(client, db):
    form = appeal_form(client, UNLISTED)
    del form["csrf_token"]
    response = post_appeal(client, form)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_filing_through_the_page_stores_the_video_under_its_digest(client, app, db):
    response = post_appeal(client, appeal_form(client, UNLISTED))
    assert response.status_code == 202, response.get_data(as_text=True)
    appeal, token = receipt_of(response.get_data(as_text=True))
    stored = app.extensions["federation.due_process"].upload_dir / hashlib.sha256(VIDEO).hexdigest()
    assert stored.read_bytes() == VIDEO
    status = client.get(f"/v1/appeals/{appeal}", headers={"Appeal-Token": token})
    assert status.get_json()["state"] == "received"


def test_a_file_that_does_not_match_its_declared_digest_is_refused(client, db):
    response = post_appeal(client, appeal_form(client, UNLISTED, declared="a" * 64))
    assert response.status_code == 422 and "/id_video" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(client, app, db, monkeypatch):
    settings = app.extensions["federation.due_process"]
    monkeypatch.setitem(app.extensions, "federation.due_process", replace(settings, upload_max_bytes=len(VIDEO) - 1))
    assert post_appeal(client, appeal_form(client, UNLISTED)).status_code == 413
    monkeypatch.undo()
    assert post_appeal(client, appeal_form(client, UNLISTED), address="203.0.113.51").status_code == 202


def test_a_form_error_is_shown_on_the_page_with_the_answers_kept(client, db):
    form = appeal_form(client, UNLISTED, video=None)
    form["statement"] = "太短"
    response = post_appeal(client, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in html and UNLISTED in html  # kept in the form


def test_the_pages_say_the_same_whether_or_not_the_person_is_listed(client, app, auth, make_member, db):
    shop = auth.headers(make_member("shop-a", roles=["submit"]))
    list_entry(client, app, shop, "a1", phone=LISTED)
    pages = {}
    for n, phone in enumerate((LISTED, UNLISTED)):
        receipt = post_appeal(client, appeal_form(client, phone), address=f"203.0.113.{60 + n}")
        appeal, token = receipt_of(receipt.get_data(as_text=True))
        pages[phone] = (receipt.status_code, receipt.get_data(as_text=True), appeal, token)
    tick(datetime.now(UTC))
    shown = {}
    for phone, (status_code, html, appeal, token) in pages.items():
        page = client.get("/appeal/status").get_data(as_text=True)
        answer = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": token})
        shown[phone] = (status_code, html.replace(appeal, "").replace(token, ""))
        shown[phone] += (
            re.sub(r"A[A-Z2-7]{16}|\d{4}-\d\d-\d\d[ \d:]*UTC|value=\"[^\"]+\"", "", answer.get_data(as_text=True)),
        )
    assert shown[LISTED] == shown[UNLISTED]
    assert 'data-state="under_review"' in shown[LISTED][2]


def test_a_wrong_status_code_looks_like_an_unknown_appeal(client, db):
    response = post_appeal(client, appeal_form(client, UNLISTED))
    appeal, _token = receipt_of(response.get_data(as_text=True))
    page = client.get("/appeal/status").get_data(as_text=True)
    wrong = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": "guess"})
    unknown = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": "ANOSUCH", "token": "guess"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()


def test_the_video_is_erased_once_its_appeal_is_decided(client, app, auth, make_member, db, cli):
    reviewer = auth.headers(make_member("fed-review", roles=["review"]))
    response = post_appeal(client, appeal_form(client, UNLISTED))
    appeal, _token = receipt_of(response.get_data(as_text=True))
    stored = app.extensions["federation.due_process"].upload_dir / hashlib.sha256(VIDEO).hexdigest()
    old = stored.stat().st_mtime - 7200
    os.utime(stored, (old, old))  # past the grace period for appeals being filed
    assert "evidence files erased 0" in cli("tick")  # still under review: kept
    client.post(
        f"/v1/appeals/{appeal}/decision",
        json={"decision": "closed_no_match", "reason": "Nothing listed."},
        headers=reviewer,
    )
    assert "evidence files erased 1" in cli("tick") and not stored.exists()


def test_the_same_form_sent_again_after_a_lost_answer_finds_the_same_appeal(client, db):
    """The page's hidden nonce is the API's Idempotency-Key: a resubmission is a retry, not a new appeal."""
    form = appeal_form(client, UNLISTED)
    first = receipt_of(post_appeal(client, dict(form, id_video_file=(io.BytesIO(VIDEO), "id.mp4"))).get_data(True))
    again = post_appeal(client, dict(form, id_video_file=(io.BytesIO(VIDEO), "id.mp4")), address="192.0.2.80")
    assert again.status_code == 202 and receipt_of(again.get_data(as_text=True)) == first
    assert client.get(f"/v1/appeals/{first[0]}", headers={"Appeal-Token": first[1]}).status_code == 200
    fresh = appeal_form(client, UNLISTED)  # a new visit to the form is a new appeal
    assert fresh["nonce"] != form["nonce"]


def test_a_corrected_form_keeps_its_nonce(client, db):
    form = appeal_form(client, UNLISTED, video=None)
    form["statement"] = "太短"
    assert nonce_of(post_appeal(client, form).get_data(as_text=True)) == form["nonce"]


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """The embedded default notifier, writing to a fresh file."""
    from datetime import timedelta

    from federation.notify.outbox import OutboxNotifier

    notifier = OutboxNotifier(tmp_path / "outbox.jsonl", keep=timedelta(days=7))
    monkeypatch.setattr(app.extensions["federation.postman"], "notifier", notifier)
    return notifier


def ask_on_the_page(client, appeal: str, contact: str, *, lang: str = "zh-CN", address: str = "203.0.113.90"):
    page = client.get(f"/appeal/resend?lang={lang}").get_data(as_text=True)
    return client.post(
        f"/appeal/resend?lang={lang}",
        data={"csrf_token": csrf_of(page), "appeal": appeal, "contact": contact},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_status_page_offers_a_new_code_sent_to_the_contact(client, app, db, outbox, lang):
    appeal, lost = receipt_of(post_appeal(client, appeal_form(client, UNLISTED, lang=lang), lang).get_data(True))
    status_page = client.get(f"/appeal/status?lang={lang}").get_data(as_text=True)
    assert f'href="/appeal/resend?lang={lang}"' in status_page
    wrong = ask_on_the_page(client, appeal, "nobody@example.cn", lang=lang, address="203.0.113.91")
    right = ask_on_the_page(client, appeal, "appellant@example.cn", lang=lang)
    assert wrong.status_code == right.status_code == 202 and 'id="resend-sent"' in right.get_data(as_text=True)
    assert wrong.get_data() == right.get_data()
    app.extensions["federation.postman"].drain()
    [message] = outbox.read()
    assert message["to"] == "appellant@example.cn" and message["language"] == lang and appeal in message["body"]
    code = re.search(r"(?:新查询码：|New status code: )(\S+)", message["body"]).group(1)
    page = client.get("/appeal/status").get_data(as_text=True)
    shown = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": code})
    assert shown.status_code == 200 and 'data-state="received"' in shown.get_data(as_text=True)
    stale = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": lost})
    assert stale.status_code == 404


def test_the_resend_page_explains_a_limit_in_the_pages_language(client, db, outbox):
    answers = [ask_on_the_page(client, "ANOSUCHAPPEAL", "a@example.cn", lang="en", address="203.0.113.95")]
    answers += [
        ask_on_the_page(client, f"ANOSUCH{n}", "a@example.cn", lang="en", address="203.0.113.95") for n in range(5)
    ]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert "Too many requests" in answers[-1].get_data(as_text=True)
    short = ask_on_the_page(client, "A1", "x", address="203.0.113.96")
    assert short.status_code == 422 and "3 到 200" in short.get_data(as_text=True)
