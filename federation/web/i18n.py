"""The public pages' words in zh-CN (the default) and en.

Two short pages do not need a gettext toolchain; every string lives here, once,
in both languages, and a test checks that no key lacks a translation.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"

TEXT: dict[str, dict[str, str]] = {
    "site": {"zh-CN": "黑名单联防联控平台", "en": "Blacklist Federation"},
    "appeal_title": {"zh-CN": "申请移出名单（申诉）", "en": "Ask to be removed (appeal)"},
    "appeal_intro": {
        "zh-CN": "如果您认为自己被错误列入名单，请提交申诉。无论是否在名单中，您都会收到同样的回执；"
        "审核员会在收到后 30 天内作出决定。",
        "en": "If you believe you were listed by mistake, file an appeal. Everyone receives the same receipt, "
        "listed or not; a reviewer decides within 30 days of receipt.",
    },
    "identifiers": {"zh-CN": "您的标识（至少一项）", "en": "Your identifiers (at least one)"},
    "identifier_type": {"zh-CN": "类型", "en": "Type"},
    "identifier_value": {"zh-CN": "号码", "en": "Value"},
    "type_phone": {"zh-CN": "手机号", "en": "Phone number"},
    "type_national_id": {"zh-CN": "身份证号", "en": "National ID number"},
    "type_device": {"zh-CN": "设备号（IMEI 等）", "en": "Device ID (IMEI etc.)"},
    "type_ip": {"zh-CN": "IP 地址", "en": "IP address"},
    "type_email": {"zh-CN": "电子邮箱", "en": "E-mail address"},
    "statement": {"zh-CN": "申诉说明", "en": "Your statement"},
    "statement_hint": {"zh-CN": "至少 20 个字。", "en": "At least 20 characters."},
    "contact": {"zh-CN": "联系方式（加密保存，结案后删除）", "en": "Contact (stored encrypted, erased at closing)"},
    "id_video": {"zh-CN": "手持身份证视频", "en": "Video of you holding your ID"},
    "id_video_file": {"zh-CN": "上传视频文件", "en": "Upload the video file"},
    "id_video_digest": {
        "zh-CN": "或填写视频的 SHA-256 摘要",
        "en": "or give the video's SHA-256 digest",
    },
    "other_files": {"zh-CN": "其他证据文件（可选）", "en": "Other evidence files (optional)"},
    "submit": {"zh-CN": "提交申诉", "en": "File the appeal"},
    "received_title": {"zh-CN": "申诉已收到", "en": "Appeal received"},
    "received_intro": {
        "zh-CN": "请保存以下编号和查询码。查询码只显示这一次。",
        "en": "Keep the appeal number and status code below. The status code is shown only this once.",
    },
    "appeal_number": {"zh-CN": "申诉编号", "en": "Appeal number"},
    "status_token": {"zh-CN": "查询码", "en": "Status code"},
    "status_title": {"zh-CN": "查询申诉进度", "en": "Check an appeal"},
    "check": {"zh-CN": "查询", "en": "Check"},
    "state": {"zh-CN": "状态", "en": "State"},
    "state_received": {"zh-CN": "已收到", "en": "Received"},
    "state_under_review": {"zh-CN": "审核中", "en": "Under review"},
    "state_upheld": {"zh-CN": "申诉成立，已移出名单", "en": "Upheld: removed from the list"},
    "state_rejected": {"zh-CN": "申诉不成立", "en": "Rejected"},
    "state_closed_no_match": {"zh-CN": "已结案（无相关记录）", "en": "Closed (nothing to remove)"},
    "received_at": {"zh-CN": "收到时间", "en": "Received"},
    "decide_by": {"zh-CN": "决定期限", "en": "Decision due by"},
    "decided_at": {"zh-CN": "决定时间", "en": "Decided"},
    "reason": {"zh-CN": "理由", "en": "Reason"},
    "not_found": {
        "zh-CN": "未找到该申诉，或查询码不正确。",
        "en": "No such appeal, or the status code is wrong.",
    },
    "errors": {"zh-CN": "请修正以下问题：", "en": "Please correct the following:"},
    "csrf": {
        "zh-CN": "页面已过期，请重新提交。",
        "en": "The page expired; please submit it again.",
    },
    "switch": {"zh-CN": "English", "en": "中文"},
    # -- a new status code (appeal_resend.html)
    "resend_title": {"zh-CN": "找回查询码", "en": "Get a new status code"},
    "resend_intro": {
        "zh-CN": "忘记或丢失了查询码？请填写申诉编号和您申诉时留下的联系方式（邮箱）。如果两者相符，"
        "我们会把新的查询码发送到该联系方式，旧的查询码随即失效。已结案的申诉不保留联系方式，无法找回。",
        "en": "Lost your status code? Give the appeal number and the contact (e-mail) you gave when you appealed. "
        "If they match, a new status code is sent there and the old one stops working. Closed appeals no longer "
        "hold a contact, so no new code can be sent for them.",
    },
    "resend_contact": {"zh-CN": "申诉时留下的联系方式", "en": "The contact you gave"},
    "resend_submit": {"zh-CN": "发送新查询码", "en": "Send a new code"},
    "resend_sent": {
        "zh-CN": "已收到您的请求。如果申诉编号和联系方式相符，新的查询码将在几分钟内发送到该联系方式。",
        "en": "Request received. If the appeal number and the contact match, a new status code reaches that "
        "contact within minutes.",
    },
    "resend_limited": {
        "zh-CN": "请求过于频繁，请稍后（最多 24 小时后）再试。",
        "en": "Too many requests; please try again later (at most 24 hours).",
    },
    "resend_invalid": {
        "zh-CN": "请填写申诉编号，以及 3 到 200 个字的联系方式。",
        "en": "Give the appeal number and a contact of 3 to 200 characters.",
    },
}


def translate(key: str, language: str) -> str:
    return TEXT[key][language]
