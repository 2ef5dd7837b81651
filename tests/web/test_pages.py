"""The public appeal and status pages through Flask's client: labels, languages, CSRF, uploads."""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from string import Formatter

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


def note_of(html: str, control: str) -> str | None:
    """The note shown next to a control, if any."""
    found = re.search(rf'<p class="field-error" id="{control}-error">([^<]*)</p>', html)
    return found and found.group(1)


def notice_of(html: str) -> str | None:
    found = re.search(r'<div class="notice" id="notice" role="alert">(.*?)</div>', html, re.S)
    return found and re.sub(r"<[^>]+>", " ", found.group(1))


#: What a developer would read, and a person should never see.
DEVELOPER_WORDS = re.compile(
    r"/(identifiers|statement|contact|evidence|id_video)\b|Length must|Missing data|SHA-256 is"
)


def test_every_word_exists_in_both_languages_with_the_same_placeholders():
    assert all(set(words) == set(LANGUAGES) and all(words.values()) for words in TEXT.values())
    for key, words in TEXT.items():
        names = [{name for _, name, _, _ in Formatter().parse(text) if name} for text in words.values()]
        assert names[0] == names[1], key


@pytest.mark.parametrize("path", ["/appeal", "/appeal/status", "/appeal/resend"])
def test_pages_are_chinese_by_default_english_on_request_and_every_control_is_labelled(client, path):
    page = Fields(client.get(path).get_data(as_text=True))
    assert page.lang == "zh-CN"
    assert page.controls and all(control["id"] in page.labels for control in page.controls)
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert Fields(english).lang == "en" and ("Check an appeal" in english or "Ask to be removed" in english)


def test_the_form_names_the_operator_says_what_happens_next_and_carries_the_privacy_notice(client, app, monkeypatch):
    zh = client.get("/appeal").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width' in zh
    assert 'id="privacy"' in zh and "原始号码不保存" in zh and "决定送达后即删除" in zh and "加密标记" in zh
    assert "15 个工作日内" in zh and "14 天内答复" in zh and "运营方：黑名单联防联控平台" in zh
    monkeypatch.setitem(app.config, "OPERATOR_NAME", "Example Data Co.")
    monkeypatch.setitem(app.config, "OPERATOR_CONTACT", "privacy@example.cn")
    en = client.get("/appeal?lang=en").get_data(as_text=True)
    assert "Operated by Example Data Co." in en and 'href="mailto:privacy@example.cn"' in en
    assert "within 15 working days" in en and "not kept" in en and "Handled by Example Data Co." in en


def test_a_post_without_the_csrf_token_is_explained_and_the_answers_are_kept(client, db):
    form = appeal_form(client, UNLISTED)
    del form["csrf_token"]
    response = post_appeal(client, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "页面已过期" in notice_of(html) and "再次提交" in notice_of(html)
    assert UNLISTED in html and 'class="field-error"' not in html


def test_filing_through_the_page_stores_the_video_under_its_digest(client, app, db):
    response = post_appeal(client, appeal_form(client, UNLISTED))
    assert response.status_code == 202, response.get_data(as_text=True)
    appeal, token = receipt_of(response.get_data(as_text=True))
    stored = app.extensions["federation.due_process"].upload_dir / hashlib.sha256(VIDEO).hexdigest()
    assert stored.read_bytes() == VIDEO
    status = client.get(f"/v1/appeals/{appeal}", headers={"Appeal-Token": token})
    assert status.get_json()["state"] == "received"
    assert "当天结束前（北京时间）" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "words"), [("zh-CN", ("视频与摘要不一致", "清空摘要栏")), ("en", ("does not match", "Empty the digest"))]
)
def test_a_file_that_does_not_match_its_declared_digest_is_explained(client, db, lang, words):
    response = post_appeal(client, appeal_form(client, UNLISTED, declared="a" * 64, lang=lang), lang=lang)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and all(word in notice_of(html) for word in words)
    assert not DEVELOPER_WORDS.search(html) and hashlib.sha256(VIDEO).hexdigest() not in html


def test_a_file_over_the_size_limit_is_explained(client, app, db, monkeypatch):
    settings = app.extensions["federation.due_process"]
    monkeypatch.setitem(app.extensions, "federation.due_process", replace(settings, upload_max_bytes=len(VIDEO) - 1))
    response = post_appeal(client, appeal_form(client, UNLISTED))
    assert response.status_code == 413 and "文件太大" in notice_of(response.get_data(as_text=True))
    monkeypatch.undo()
    assert post_appeal(client, appeal_form(client, UNLISTED), address="203.0.113.51").status_code == 202


def test_a_body_over_the_request_limit_is_explained_too(client, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    form = appeal_form(client, UNLISTED, video=b"x" * 2000, lang="en")
    response = post_appeal(client, form, lang="en")
    assert response.status_code == 413 and "too large" in notice_of(response.get_data(as_text=True))


BAD_ANSWERS = [
    ({"value_0": "12345"}, "value_0", "不是有效的手机号", "not a valid phone number"),
    ({"type_0": "national_id", "value_0": "110101199003070000"}, "value_0", "校验码", "check digit"),
    ({"type_0": "email", "value_0": "not-an-address"}, "value_0", "不是有效的邮箱", "not a valid e-mail"),
    ({"value_0": "", "type_1": "phone", "value_1": "12345"}, "value_1", "不是有效的手机号", "not a valid phone number"),
    ({"value_0": ""}, "value_0", "至少填写一个号码", "at least one number"),
    ({"type_1": "", "value_1": "13700137001"}, "type_1", "选择号码类型", "choose the kind"),
    ({"statement": "太短了"}, "statement", "您现在写了 3 个字", "it has 3 now"),
    ({"statement": ""}, "statement", "请写下申诉说明", "Please write your statement"),
    ({"contact": ""}, "contact", "可以联系到您", "reach you"),
    ({"id_video_file": None}, "id_video_file", "请上传手持身份证视频", "Please upload the video"),
    ({"id_video_file": None, "id_video_sha256": "xyz"}, "id_video_sha256", "64 个字符", "64 characters"),
    ({"id_video_file": b""}, "id_video_file", "空文件", "empty"),
]


@pytest.mark.parametrize(("changes", "control", "zh", "en"), BAD_ANSWERS)
def test_a_problem_is_said_next_to_its_field_in_the_pages_language(client, db, changes, control, zh, en):
    for lang, words in (("zh-CN", zh), ("en", en)):
        form = appeal_form(client, UNLISTED, lang=lang)
        form.update({k: (io.BytesIO(v), "id.mp4") if isinstance(v, bytes) else v for k, v in changes.items()})
        form = {k: v for k, v in form.items() if changes.get(k, "") is not None}
        response = post_appeal(client, form, lang=lang)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, html
        assert words in (note_of(html, control) or ""), html
        assert f'id="{control}"' in html and re.search(rf'id="{control}"[^>]*aria-invalid="true"', html)
        assert not DEVELOPER_WORDS.search(html) and notice_of(html) is None
        assert 'id="errors-summary"' in html


def test_every_problem_is_said_at_once(client, db):
    form = appeal_form(client, UNLISTED, video=None)
    form.update(value_0="12345", statement="太短")
    html = post_appeal(client, form).get_data(as_text=True)
    assert "不是有效的手机号" in note_of(html, "value_0") and "写了 2 个字" in note_of(html, "statement")
    assert "请上传" in note_of(html, "id_video_file") and "有 3 处需要修改" in html


def test_a_failed_or_rate_limited_attempt_leaves_no_file_behind(client, app, db):
    """The video is kept only with a filed appeal: refused attempts cannot fill the disk."""
    folder = app.extensions["federation.due_process"].upload_dir
    stored = hashlib.sha256(VIDEO).hexdigest()
    (folder / stored).unlink(missing_ok=True)
    form = appeal_form(client, UNLISTED)
    form["statement"] = "太短"
    assert post_appeal(client, form).status_code == 422
    for n in range(5):
        assert (
            post_appeal(client, appeal_form(client, f"1370013{n:04d}", video=None, declared="b" * 64)).status_code
            == 202
        )
    assert post_appeal(client, appeal_form(client, "13700139999")).status_code == 429
    assert not (folder / stored).exists() and not [p for p in folder.glob(".upload-*")]


def test_nul_characters_in_the_form_are_dropped_not_a_crash(client, db):
    """U+0000 (which PostgreSQL cannot store) in any field: the appeal is filed as if it was not there."""
    form = appeal_form(client, UNLISTED)
    form["statement"] = "这个手机号从未在该平台下单，\x00我没有投诉过任何人。"
    form["contact"] = "appellant@example.cn\x00"
    assert post_appeal(client, form).status_code == 202
    page = client.get("/appeal/status").get_data(as_text=True)
    lookup = {"csrf_token": csrf_of(page), "appeal": "A\x001", "token": "x\x00"}
    assert client.post("/appeal/status", data=lookup).status_code == 404


def test_a_rate_limit_says_when_to_try_again_not_what_to_correct(client, db):
    for n in range(5):
        assert post_appeal(client, appeal_form(client, f"1370013{n:04d}")).status_code == 202
    response = post_appeal(client, appeal_form(client, "13700139999"))
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "提交次数过多" in notice_of(html) and re.search(
        r"请在 \d{4}年\d+月\d+日（周.） \d\d:\d\d（北京时间）之后再试", html
    )
    assert 'class="field-error"' not in html and "errors-summary" not in html
    assert re.search(r'id="notice" role="alert">.*href="/appeal/status\?lang=zh-CN"', html, re.S)


def test_a_repeat_appeal_without_new_evidence_is_explained(client, auth, make_member, db):
    reviewer = auth.headers(make_member("fed-review", roles=["review"]))
    appeal, _token = receipt_of(post_appeal(client, appeal_form(client, UNLISTED)).get_data(as_text=True))
    tick(datetime.now(UTC))
    client.post(
        f"/v1/appeals/{appeal}/decision", json={"decision": "closed_no_match", "reason": "Nothing."}, headers=reviewer
    )
    response = post_appeal(client, appeal_form(client, UNLISTED, lang="en"), lang="en", address="203.0.113.52")
    assert response.status_code == 409
    assert "in the last 90 days" in notice_of(response.get_data(as_text=True))


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
        shown[phone] += (re.sub(r"A[A-Z2-7]{16}|\d{2}:\d{2}|value=\"[^\"]+\"", "", answer.get_data(as_text=True)),)
    assert shown[LISTED] == shown[UNLISTED]
    assert 'data-state="under_review"' in shown[LISTED][2]


@pytest.mark.parametrize(
    ("lang", "due"), [("zh-CN", "{d.year}年{d.month}月{d.day}日"), ("en", "{d.day} {month} {d.year}")]
)
def test_the_status_page_shows_the_decision_deadline_as_a_local_date(client, db, lang, due):
    appeal, token = receipt_of(post_appeal(client, appeal_form(client, UNLISTED)).get_data(as_text=True))
    api = client.get(f"/v1/appeals/{appeal}", headers={"Appeal-Token": token}).get_json()
    day = date.fromisoformat(api["decide_by_date"])
    page = client.get(f"/appeal/status?lang={lang}").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "appeal": appeal, "token": token}
    html = client.post(f"/appeal/status?lang={lang}", data=form).get_data(as_text=True)
    shown = re.search(r'id="decide-by">([^<]+)<', html).group(1)
    assert due.format(d=day, month=day.strftime("%B")) in shown
    assert ("北京时间" if lang == "zh-CN" else "China Standard Time") in shown and 'id="overdue"' not in html


def test_a_late_decision_is_owned_up_to_on_the_status_page(client, db, monkeypatch):
    appeal, token = receipt_of(post_appeal(client, appeal_form(client, UNLISTED)).get_data(as_text=True))
    api = client.get(f"/v1/appeals/{appeal}", headers={"Appeal-Token": token}).get_json()
    late = datetime.fromisoformat(api["decide_by"]) + timedelta(seconds=1)
    monkeypatch.setattr("federation.web.pages.utcnow", lambda: late)
    page = client.get("/appeal/status").get_data(as_text=True)
    html = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": token})
    assert "决定已逾期" in html.get_data(as_text=True) and "不会对您不利" in html.get_data(as_text=True)


def test_a_wrong_status_code_looks_like_an_unknown_appeal(client, db):
    response = post_appeal(client, appeal_form(client, UNLISTED))
    appeal, _token = receipt_of(response.get_data(as_text=True))
    page = client.get("/appeal/status").get_data(as_text=True)
    wrong = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": appeal, "token": "guess"})
    unknown = client.post("/appeal/status", data={"csrf_token": csrf_of(page), "appeal": "ANOSUCH", "token": "guess"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data() and "未找到" in notice_of(wrong.get_data(as_text=True))


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
