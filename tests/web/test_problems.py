"""Problems into the person's words: every code has words, unknown ones get the field's general note."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.disputes.calendar import WorkingCalendar
from federation.errors import field_error
from federation.web.problems import Situation, field_notes, refusal

SITUATION = Situation(
    now=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
    calendar=WorkingCalendar(),
    repeat_days=90,
    upload_max_bytes=10 * 2**20,
    max_body_bytes=8 * 2**20,
    statement_length=(20, 4000),
    contact_length=(3, 200),
)
FORM = {"type_0": "phone", "value_0": "x", "type_2": "device", "value_2": "y", "statement": "short"}


def notes(*errors, language="zh-CN", form=FORM):
    return field_notes(list(errors), rows=[0, 2], form=form, situation=SITUATION, language=language)


@pytest.mark.parametrize(
    ("error", "control", "words"),
    [
        (field_error("/identifiers/1/value", "?", code="device.imei_checksum"), "value_2", "IMEI 为 15 位数字"),
        (field_error("/identifiers/0/value", "?", code="phone.some_new_rule"), "value_0", "不是有效的手机号"),
        (field_error("/identifiers/1/type", "?", code="type.unknown"), "type_2", "选择号码类型"),
        (field_error("/identifiers/0/colour", "?"), "value_0", "不是有效的手机号"),
        (field_error("/statement", "Length must be between 20 and 4000."), "statement", "您现在写了 5 个字"),
        (field_error("/evidence/3/sha256", "?"), "id_video_sha256", "64 个字符"),
        (field_error("/other_files", "?", code="file.unreadable"), "other_files", "无法使用"),
    ],
)
def test_each_error_lands_next_to_its_control_in_plain_words(error, control, words):
    problems = notes(error)
    assert list(problems.fields) == [control] and words in problems.fields[control] and problems.notice is None


def test_an_error_no_control_owns_becomes_a_general_notice_not_developer_text():
    problems = notes(field_error("/language", "Must be one of: zh-CN, en."), language="en")
    assert problems.fields == {} and problems.notice.title == "The appeal could not be filed"
    assert "Must be one of" not in problems.notice.text


def test_two_problems_of_one_field_are_said_once_each():
    twice = notes(field_error("/statement", "a"), field_error("/statement", "b"))
    assert twice.fields["statement"].count("申诉说明需要") == 1


@pytest.mark.parametrize(
    ("status", "code", "headers", "title", "words"),
    [
        (429, "too_many_requests", {"Retry-After": "3600"}, "提交次数过多", "2026年12月1日（周二） 11:30（北京时间）"),
        (409, "appeal_open", {}, "这些号码已有申诉在处理", "申诉编号和查询码"),
        (409, "repeat_appeal", {}, "近期已作出决定", "最近 90 天内"),
        (413, "file_too_large", {}, "文件太大", "最大 10 MB，一次提交合计最大 8 MB"),
        (409, "something_new", {}, "暂时无法提交", "稍后再试"),
        (503, "service_unavailable", {}, "暂时无法提交", "稍后再试"),
    ],
)
def test_limits_and_refusals_say_what_to_do_next(status, code, headers, title, words):
    notice = refusal(status, code, headers, SITUATION, "zh-CN").notice
    assert notice.title == title and words in notice.text
