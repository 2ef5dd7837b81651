"""The public pages' words in zh-CN (the default) and en.

A few short pages do not need a gettext toolchain; every string lives here, once,
in both languages, and a test checks that no key lacks a translation and that
both languages take the same ``{placeholders}``.

The words are for the person who appeals, not for a developer: problems are
said in plain language next to the field they concern (``err.*``), and limits
and refusals say what to do next (``notice.*``).
"""

from __future__ import annotations

from datetime import date, datetime

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"

TEXT: dict[str, dict[str, str]] = {
    "site": {"zh-CN": "黑名单联防联控平台", "en": "Blacklist Federation"},
    "switch": {"zh-CN": "English", "en": "中文"},
    # -- the appeal form --
    "appeal_title": {"zh-CN": "申请移出名单（申诉）", "en": "Ask to be removed (appeal)"},
    "appeal_intro": {
        "zh-CN": "如果您认为自己被错误列入名单，请提交申诉。无论您是否在名单中，都会收到同样的回执。",
        "en": "If you believe you were listed by mistake, file an appeal. "
        "Everyone receives the same receipt, listed or not.",
    },
    "identifiers": {"zh-CN": "您的号码（至少填一项）", "en": "Your numbers (at least one)"},
    "identifier_type": {"zh-CN": "类型", "en": "Type"},
    "identifier_value": {"zh-CN": "号码", "en": "Number"},
    "type_phone": {"zh-CN": "手机号", "en": "Phone number"},
    "type_national_id": {"zh-CN": "身份证号", "en": "National ID number"},
    "type_device": {"zh-CN": "设备号（IMEI 等）", "en": "Device ID (IMEI etc.)"},
    "type_ip": {"zh-CN": "IP 地址", "en": "IP address"},
    "type_email": {"zh-CN": "电子邮箱", "en": "E-mail address"},
    "statement": {"zh-CN": "申诉说明", "en": "Your statement"},
    "statement_hint": {
        "zh-CN": "请说明为什么认为列入有误，{min} 到 {max} 个字。",
        "en": "Say why you think the listing is wrong, {min} to {max} characters.",
    },
    "contact": {"zh-CN": "联系方式", "en": "How to reach you"},
    "contact_hint": {
        "zh-CN": "电子邮箱，用于把决定告诉您，以及在您遗失查询码时发送新的查询码。加密保存，决定送达后删除。",
        "en": "An e-mail address, to tell you the decision and to send a new status code if you lose yours. "
        "Stored encrypted, erased once the decision has been sent.",
    },
    "id_video": {"zh-CN": "手持身份证视频", "en": "Video of you holding your ID"},
    "id_video_hint": {
        "zh-CN": "用于核实您本人。上传视频，或只填写它的 SHA-256 摘要（由您自己保存视频）。",
        "en": "It shows the appeal is yours. Upload the video, or only give its SHA-256 digest "
        "(and keep the video yourself).",
    },
    "id_video_file": {"zh-CN": "上传视频文件", "en": "Upload the video file"},
    "id_video_digest": {"zh-CN": "或填写视频的 SHA-256 摘要", "en": "or give the video's SHA-256 digest"},
    "other_files": {"zh-CN": "其他证据文件（可选）", "en": "Other evidence files (optional)"},
    "files_hint": {"zh-CN": "每个文件最大 {mb} MB。", "en": "Each file at most {mb} MB."},
    "submit": {"zh-CN": "提交申诉", "en": "File the appeal"},
    "next_title": {"zh-CN": "接下来会怎样", "en": "What happens next"},
    "next_match": {
        "zh-CN": "几分钟内，我们会用您的号码核对名单。",
        "en": "Within minutes, we check the list for your numbers.",
    },
    "next_answer": {
        "zh-CN": "如有记录，列入它的平台需在 {days} 天内答复。",
        "en": "If a listing matches, the platform that made it has {days} days to answer.",
    },
    "next_decide": {
        "zh-CN": "审核员会在 {days} 个工作日内作出决定（周末和法定节假日不计）。",
        "en": "A reviewer decides within {days} working days (weekends and public holidays not counted).",
    },
    "next_decide_by": {"zh-CN": "审核员会在 {when}作出决定。", "en": "A reviewer decides by {when}."},
    "next_late": {
        "zh-CN": "如果逾期未作决定，相关记录在决定前暂停使用，不会对您不利。",
        "en": "If the decision is late, any listing concerned is suspended until it is made: "
        "the delay never counts against you.",
    },
    "next_status": {
        "zh-CN": "您可以随时凭申诉编号和查询码查看进度。",
        "en": "You can check progress at any time with your appeal number and status code.",
    },
    # -- the receipt and the status page --
    "received_title": {"zh-CN": "申诉已收到", "en": "Appeal received"},
    "received_intro": {
        "zh-CN": "请保存以下编号和查询码（可截图）。查询码只显示这一次。",
        "en": "Keep the appeal number and status code below (a screenshot will do). "
        "The status code is shown only this once.",
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
    "state_help_received": {
        "zh-CN": "我们正在用您的号码核对名单，通常只需几分钟。",
        "en": "We are checking the list for your numbers; this usually takes minutes.",
    },
    "state_help_under_review": {
        "zh-CN": "审核员正在审查您的申诉，将在下方期限前作出决定。",
        "en": "A reviewer is examining your appeal and decides by the deadline below.",
    },
    "state_help_upheld": {
        "zh-CN": "相关记录已删除，各平台不会再看到。",
        "en": "The listings concerned were deleted; platforms no longer see them.",
    },
    "state_help_rejected": {
        "zh-CN": "记录保留，理由见下方。如有新的证据，可以再次申诉。",
        "en": "The listing stays; the reason is below. With new evidence you may appeal again.",
    },
    "state_help_closed_no_match": {
        "zh-CN": "没有需要删除的记录，申诉已结案。",
        "en": "There was nothing to remove; the appeal is closed.",
    },
    "local_time": {"zh-CN": "{time}（{zone}）", "en": "{time} ({zone})"},
    "received_at": {"zh-CN": "收到时间", "en": "Received"},
    "decide_by": {"zh-CN": "决定期限", "en": "Decision due by"},
    "decide_by_value": {"zh-CN": "{date}当天结束前（{zone}）", "en": "{date}, end of day ({zone})"},
    "decided_at": {"zh-CN": "决定时间", "en": "Decided"},
    "reason": {"zh-CN": "理由", "en": "Reason"},
    "overdue": {
        "zh-CN": "决定已逾期。在作出决定前，相关记录暂停使用，不会对您不利。",
        "en": "The decision is late. Until it is made, any listing concerned is suspended "
        "and does not count against you.",
    },
    "not_found_title": {"zh-CN": "未找到申诉", "en": "Appeal not found"},
    "not_found": {
        "zh-CN": "未找到该申诉，或查询码不正确。请核对后重试（注意区分大小写）。",
        "en": "No such appeal, or the status code is wrong. Check both and try again (letter case matters).",
    },
    "zone_Asia/Shanghai": {"zh-CN": "北京时间", "en": "China Standard Time"},
    # -- who runs this, and privacy (PIPL art. 17) --
    "operator": {"zh-CN": "运营方：{name}", "en": "Operated by {name}"},
    "operator_contact": {"zh-CN": "联系方式：", "en": "Contact: "},
    "operator_no_contact": {"zh-CN": "本站申诉表单", "en": "the appeal form on this site"},
    "privacy_link": {"zh-CN": "个人信息说明", "en": "Privacy notice"},
    "privacy_title": {"zh-CN": "个人信息说明", "en": "Privacy notice"},
    "privacy_who": {
        "zh-CN": "处理者：{name}。我们只为处理您的申诉而收集以下信息。",
        "en": "Handled by {name}, only to decide your appeal.",
    },
    "privacy_identifiers": {
        "zh-CN": "号码：收到后立即转为不可逆的加密摘要，用于与名单核对；原始号码不保存。",
        "en": "Your numbers: turned at once into irreversible keyed digests to check the list; "
        "the numbers themselves are not kept.",
    },
    "privacy_contact": {
        "zh-CN": "联系方式：加密保存，只用于告知决定和补发查询码；决定送达后即删除。",
        "en": "Your contact: stored encrypted, used only to tell you the decision and to resend a lost status code; "
        "erased once the decision has been sent.",
    },
    "privacy_files": {
        "zh-CN": "视频和证据文件：只有审核员可以查看；在没有未结申诉需要时删除。",
        "en": "Video and evidence files: seen by reviewers only; erased once no open appeal needs them.",
    },
    "privacy_statement": {
        "zh-CN": "申诉说明和文件摘要：审核员可见；如有记录，列入它的平台也能看到，以便答复。"
        "作出决定一年后，申诉说明、号码摘要和网络地址标记即被删除，只保留决定本身（编号、日期、结果和理由）。",
        "en": "Your statement and the files' digests: seen by reviewers and, if a listing matches, "
        "by the platform that made it, so it can answer. One year after the decision, your statement, the "
        "digests of your numbers and the address tag are erased; the decision itself (number, dates, outcome, "
        "reason) is kept as its record.",
    },
    "privacy_address": {
        "zh-CN": "网络地址：只保存一个加密标记，用于防止滥用（频率限制），不保存地址本身。",
        "en": "Your network address: only a keyed tag is kept, to stop abuse (rate limits); never the address itself.",
    },
    "privacy_rights": {
        "zh-CN": "您可以向运营方查阅、更正或删除您的个人信息。",
        "en": "You may ask the operator to see, correct or delete your personal information.",
    },
    # -- problems next to their field --
    "errors_summary": {
        "zh-CN": "有 {count} 处需要修改，请查看下方红色提示。",
        "en": "Some answers need a change ({count}): see the notes in red below.",
    },
    "err.value": {"zh-CN": "这个号码无法识别，请检查后重填。", "en": "We cannot read this number; please check it."},
    "err.value.empty": {"zh-CN": "请填写号码。", "en": "Please fill in the number."},
    "err.value.phone": {
        "zh-CN": "这不是有效的手机号。请填写 11 位手机号，例如 13800138000；境外号码请加国家代码，如 +852。",
        "en": "This is not a valid phone number. Write the 11 digits (13800138000), "
        "or the country code first for other countries (+852 ...).",
    },
    "err.value.national_id": {
        "zh-CN": "这不是有效的身份证号，请核对 18 位号码（最后一位可能是 X）。",
        "en": "This is not a valid national ID number; check the 18 characters (the last may be X).",
    },
    "err.value.national_id.checksum": {
        "zh-CN": "身份证号的最后一位（校验码）与前面不符，可能有一位填错了。",
        "en": "The last character (the check digit) does not fit the others: one may be mistyped.",
    },
    "err.value.national_id.birth_date": {
        "zh-CN": "身份证号中的出生日期不存在，请核对。",
        "en": "The birth date inside this ID number does not exist; please check it.",
    },
    "err.value.device": {
        "zh-CN": "这不是有效的设备号。IMEI 为 15 位数字，可在手机拨号盘输入 *#06# 查看。",
        "en": "This is not a valid device ID. An IMEI has 15 digits: dial *#06# on the phone to see it.",
    },
    "err.value.ip": {
        "zh-CN": "这不是有效的公网 IP 地址，例如 203.0.113.7。",
        "en": "This is not a valid public IP address (such as 203.0.113.7).",
    },
    "err.value.email": {
        "zh-CN": "这不是有效的邮箱地址，例如 name@example.cn。",
        "en": "This is not a valid e-mail address (such as name@example.com).",
    },
    "err.type": {"zh-CN": "请从列表中选择号码类型。", "en": "Please choose the kind of number from the list."},
    "err.identifiers": {"zh-CN": "请至少填写一个号码。", "en": "Please fill in at least one number."},
    "err.statement": {
        "zh-CN": "申诉说明需要 {min} 到 {max} 个字，您现在写了 {count} 个字。",
        "en": "Your statement needs {min} to {max} characters; it has {count} now.",
    },
    "err.statement.missing": {
        "zh-CN": "请写下申诉说明（至少 {min} 个字）。",
        "en": "Please write your statement (at least {min} characters).",
    },
    "err.contact": {
        "zh-CN": "请填写一个可以联系到您的邮箱或手机号（{min} 到 {max} 个字符）。",
        "en": "Please give an e-mail address or phone number we can reach you at ({min} to {max} characters).",
    },
    "err.id_video": {
        "zh-CN": "请上传手持身份证视频，或填写它的 SHA-256 摘要。",
        "en": "Please upload the video of you holding your ID, or give its SHA-256 digest.",
    },
    "err.id_video.file.empty": {
        "zh-CN": "上传的视频是空文件，请重新选择。",
        "en": "The uploaded video is empty; please choose the file again.",
    },
    "err.id_video_digest": {
        "zh-CN": "摘要应为 64 个字符，只含数字 0-9 和字母 a-f。不确定时请留空并上传视频。",
        "en": "A digest is 64 characters, digits 0-9 and letters a-f only. "
        "If unsure, leave it empty and upload the video.",
    },
    "err.other_files": {
        "zh-CN": "这个文件无法使用，请重新选择。",
        "en": "This file could not be used; please choose it again.",
    },
    "err.other_files.file.empty": {
        "zh-CN": "其中有一个空文件，请重新选择。",
        "en": "One of the files is empty; please choose them again.",
    },
    # -- limits and refusals: what happened, what to do next --
    "notice.csrf.title": {"zh-CN": "页面已过期", "en": "The page expired"},
    "notice.csrf": {
        "zh-CN": "为了安全，页面打开一小时后会失效。您填写的内容已保留；如有文件，请重新选择，然后再次提交。",
        "en": "For your safety, the page expires an hour after it was opened. Your answers are kept: "
        "choose any files again, then submit once more.",
    },
    "notice.rate.title": {"zh-CN": "提交次数过多", "en": "Too many appeals"},
    "notice.rate": {
        "zh-CN": "短时间内从同一网络或为同一号码提交了太多申诉。请在 {time}（{zone}）之后再试。"
        "如果您已经提交过，请用申诉编号和查询码查看进度。",
        "en": "Too many appeals came from this network or for these numbers recently. "
        "Please try again after {time} ({zone}). If you already filed one, check its progress instead.",
    },
    "notice.appeal_open.title": {"zh-CN": "这些号码已有申诉在处理", "en": "An appeal is already open"},
    "notice.appeal_open": {
        "zh-CN": "无需重复提交。请用第一次提交时得到的申诉编号和查询码查看进度。",
        "en": "There is no need to file again: check its progress with the appeal number and status code "
        "you received when you first filed.",
    },
    "notice.repeat_appeal.title": {"zh-CN": "近期已作出决定", "en": "Already decided recently"},
    "notice.repeat_appeal": {
        "zh-CN": "这些号码的申诉在最近 {days} 天内已有决定。再次申诉需要提供新的证据，例如新的视频或其他文件。",
        "en": "An appeal for these numbers was decided in the last {days} days. "
        "A new appeal needs new evidence, such as a new video or other files.",
    },
    "notice.too_large.title": {"zh-CN": "文件太大", "en": "A file is too large"},
    "notice.too_large": {
        "zh-CN": "每个文件最大 {mb} MB，一次提交合计最大 {total} MB。请压缩视频或截取较短的一段后再试；"
        "也可以只填写视频的 SHA-256 摘要。",
        "en": "Each file may be at most {mb} MB, and one submission {total} MB in all. "
        "Compress the video or keep a shorter clip and try again, or give only its SHA-256 digest.",
    },
    "notice.digest_mismatch.title": {"zh-CN": "视频与摘要不一致", "en": "The video does not match the digest"},
    "notice.digest_mismatch": {
        "zh-CN": "您上传的视频的 SHA-256 摘要与您填写的不同。请清空摘要栏（我们会自动计算），或确认选择了正确的文件。",
        "en": "The SHA-256 digest of the uploaded video differs from the one you typed. "
        "Empty the digest box (we compute it) or check you chose the right file.",
    },
    "notice.generic.title": {"zh-CN": "暂时无法提交", "en": "The appeal could not be filed"},
    "notice.generic": {
        "zh-CN": "请稍后再试。如果问题一直存在，请联系运营方。",
        "en": "Please try again later. If it keeps happening, contact the operator.",
    },
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
    "notice.unavailable.title": {"zh-CN": "服务暂时不可用", "en": "Temporarily unavailable"},
    "notice.unavailable": {
        "zh-CN": "服务暂时无法处理您的请求，您提交的内容没有被保存。请几分钟后再试。",
        "en": "We cannot handle your request right now, and nothing you sent was kept. "
        "Please try again in a few minutes.",
    },
    "notice.resend_rate.title": {"zh-CN": "请求过于频繁", "en": "Too many requests"},
    "notice.resend_rate": {
        "zh-CN": "短时间内从同一网络或为同一申诉编号请求了太多次新查询码。请在 {time}（{zone}）之后再试。",
        "en": "Too many requests for a new status code came from this network or for this appeal number "
        "recently. Please try again after {time} ({zone}).",
    },
    "notice.too_many.title": {"zh-CN": "请求过于频繁", "en": "Too many requests"},
    "notice.too_many": {
        "zh-CN": "短时间内从同一网络打开或提交了太多次页面。您填写的内容没有被保存。请在 {time}（{zone}）之后再试。",
        "en": "Too many pages were opened or sent from this network in a short time, and nothing you sent was "
        "kept. Please try again after {time} ({zone}).",
    },
    "resend_invalid": {
        "zh-CN": "请填写申诉编号，以及 3 到 200 个字的联系方式。",
        "en": "Give the appeal number and a contact of 3 to 200 characters.",
    },
}

_WEEKDAYS = {
    "zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def translate(key: str, language: str, **params: object) -> str:
    text = TEXT[key][language]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in TEXT


def format_date(day: date, language: str) -> str:
    """``2026年12月21日（周一）`` / ``Monday 21 December 2026``."""
    weekday = _WEEKDAYS[language][day.weekday()]
    if language == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    return f"{weekday} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_time(moment: datetime, language: str) -> str:
    """A local date and time, ``2026年12月21日（周一）14:05`` / ``Monday 21 December 2026, 14:05``."""
    separator = " " if language == "zh-CN" else ", "
    return f"{format_date(moment.date(), language)}{separator}{moment:%H:%M}"


def zone_name(time_zone: str, language: str) -> str:
    key = f"zone_{time_zone}"
    return translate(key, language) if has(key) else time_zone
