"""Every string the site shows, in English and Arabic, and how a visitor's language is chosen.

The language comes from `?lang=`, then the `lang` cookie the switch sets, then the browser's
Accept-Language; English when none of them names a language Rasd has a catalog for
(`rasd.locale`: Arabic and English, and any a translator adds).
"""

from __future__ import annotations

from collections.abc import Mapping

from rasd.locale import SOURCE, languages, words
from rasd.locale.terms import LEVEL_NAMES, level_name

DEFAULT = SOURCE
COOKIE = "lang"

# key -> {"en": ..., "ar": ...}; `{name}`-style fields are filled by the template or the script
STRINGS: dict[str, dict[str, str]] = {
    "site_name": {"en": "Rasd", "ar": "رصد"},
    "tagline": {
        "en": "Is it down, or is it me? Outages of online services, as they happen.",
        "ar": "هل الخدمة معطلة أم المشكلة عندي؟ أعطال الخدمات على الإنترنت لحظة وقوعها.",
    },
    "skip": {"en": "Skip to content", "ar": "انتقل إلى المحتوى"},
    "nav_home": {"en": "Status now", "ar": "الحالة الآن"},
    "nav_history": {"en": "History", "ar": "السجل"},
    "nav_main": {"en": "Main", "ar": "الرئيسية"},
    "switch_language": {"en": "العربية", "ar": "English"},
    "switch_language_label": {"en": "اقرأ بالعربية", "ar": "Read in English"},
    "search_label": {"en": "Find a service", "ar": "ابحث عن خدمة"},
    "search_placeholder": {
        "en": "Name, in any language: WhatsApp, واتس…",
        "ar": "الاسم بأي لغة: واتساب، WhatsApp…",
    },
    "search_button": {"en": "Search", "ar": "بحث"},
    "search_none": {"en": "No service by that name.", "ar": "لا توجد خدمة بهذا الاسم."},
    "search_results": {"en": "Services found", "ar": "الخدمات التي وُجدت"},
    "category": {"en": "Category", "ar": "الفئة"},
    "country": {"en": "Country", "ar": "الدولة"},
    "any_category": {"en": "All categories", "ar": "كل الفئات"},
    "any_country": {"en": "All countries", "ar": "كل الدول"},
    "filter": {"en": "Show", "ar": "اعرض"},
    "browse": {"en": "Browse services", "ar": "تصفح الخدمات"},
    "section_2": {"en": "Problems detected", "ar": "رُصدت مشكلات"},
    "section_1": {"en": "Possible problems", "ar": "مشكلات محتملة"},
    "section_0": {"en": "Working normally", "ar": "تعمل بشكل طبيعي"},
    "none_with_problems": {
        "en": "No service shows problems right now.",
        "ar": "لا تظهر مشكلات في أي خدمة الآن.",
    },
    "live_events": {"en": "Outages now", "ar": "أعطال جارية"},
    "since": {"en": "since", "ar": "منذ"},
    "more_events": {"en": "{n} more outages", "ar": "{n} أعطال أخرى"},
    "event_since": {"en": "{title} — since {time}", "ar": "{title} — منذ {time}"},
    "spark_label": {
        "en": "Reports over the last 24 hours: {n}",
        "ar": "البلاغات خلال آخر ٢٤ ساعة: {n}",
    },
    "reports_24h": {"en": "reports in 24 h", "ar": "بلاغ خلال ٢٤ ساعة"},
    "live_on": {"en": "Live", "ar": "مباشر"},
    "live_off": {"en": "Reconnecting…", "ar": "جارٍ إعادة الاتصال…"},
    "updated": {"en": "Updated", "ar": "آخر تحديث"},
    "now_is": {"en": "Time on this server", "ar": "الوقت على هذا الخادم"},
    # service page
    "status_2": {
        "en": "Users report problems with {name} since {time}.",
        "ar": "يبلغ المستخدمون عن مشكلات في {name} منذ {time}.",
    },
    "status_1": {
        "en": "Reports about {name} have been above the usual level since {time}: "
        "possible problems.",
        "ar": "البلاغات عن {name} أعلى من المعتاد منذ {time}: مشكلات محتملة.",
    },
    "status_0": {
        "en": "No problems at {name} right now: reports are at their usual level.",
        "ar": "لا مشكلات في {name} الآن: البلاغات عند مستواها المعتاد.",
    },
    "chart_title": {
        "en": "Reports in the last 24 hours",
        "ar": "البلاغات خلال آخر ٢٤ ساعة",
    },
    "chart_summary": {
        "en": "{n} reports in the last 24 hours. The shaded band is the usual level.",
        "ar": "{n} بلاغ خلال آخر ٢٤ ساعة. المنطقة المظللة هي المستوى المعتاد.",
    },
    "series_reports": {"en": "Reports", "ar": "البلاغات"},
    "series_usual": {"en": "Usual level", "ar": "المستوى المعتاد"},
    "impact_peak": {
        "en": "At its worst, {n} reports a minute ({at}).",
        "ar": "في أسوأ لحظاته {n} بلاغ في الدقيقة ({at}).",
    },
    "impact_note": {
        "en": "An estimate from the reports above the usual level; the range says how uncertain "
        "it is.",
        "ar": "تقدير من البلاغات التي تزيد على المعتاد، والمدى يبيّن مقدار عدم اليقين فيه.",
    },
    "check_title": {"en": "Check it now", "ar": "افحصها الآن"},
    "check_label": {"en": "A service or a web address", "ar": "خدمة أو عنوان موقع"},
    "check_button": {"en": "Check", "ar": "افحص"},
    "check_running": {"en": "Checking from this server…", "ar": "جارٍ الفحص من هذا الخادم…"},
    "check_up": {"en": "Working from here", "ar": "تعمل من هنا"},
    "check_down": {"en": "Not working from here", "ar": "لا تعمل من هنا"},
    "check_dns": {"en": "DNS: answers in {ms} ms", "ar": "DNS: يجيب خلال {ms} ملّي ثانية"},
    "check_web": {
        "en": "Web: status {status} in {ms} ms",
        "ar": "الويب: الحالة {status} خلال {ms} ملّي ثانية",
    },
    "check_cert": {
        "en": "Certificate valid for {n} more days",
        "ar": "الشهادة صالحة {n} يومًا أخرى",
    },
    "check_redirects": {"en": "Followed {n} redirect(s)", "ar": "تحويلات متبعة: {n}"},
    "check_crowd": {"en": "What people report: {status}", "ar": "ما يبلّغ عنه الناس: {status}"},
    "check_busy": {
        "en": "Too many checks from your network; try again in a minute.",
        "ar": "فحوص كثيرة من شبكتك؛ أعد المحاولة بعد دقيقة.",
    },
    "check_refused": {
        "en": "Not checked: only public services and web addresses are.",
        "ar": "لم يُفحص: تُفحص الخدمات والعناوين العامة فقط.",
    },
    "check_offline": {
        "en": "This server runs offline: it checks nothing beyond its own machine.",
        "ar": "هذا الخادم يعمل دون اتصال: لا يفحص شيئًا خارج جهازه.",
    },
    "check_failed": {"en": "The check could not be made.", "ar": "تعذّر إجراء الفحص."},
    "check_outcome_nxdomain": {"en": "the name does not exist", "ar": "الاسم غير موجود"},
    "check_outcome_servfail": {"en": "name servers failed", "ar": "فشلت خوادم الأسماء"},
    "check_outcome_timeout": {"en": "no answer in time", "ar": "لا رد في الوقت المحدد"},
    "check_outcome_tls_error": {
        "en": "certificate or TLS problem",
        "ar": "مشكلة في الشهادة أو TLS",
    },
    "check_outcome_cert_expired": {
        "en": "the certificate has expired",
        "ar": "انتهت صلاحية الشهادة",
    },
    "check_outcome_connect_error": {"en": "connection refused or cut", "ar": "تعذّر الاتصال"},
    "check_outcome_http_5xx": {"en": "server error", "ar": "خطأ في الخادم"},
    "check_outcome_bad_response": {"en": "not a valid web answer", "ar": "رد غير صالح"},
    "check_outcome_too_many_redirects": {"en": "too many redirects", "ar": "تحويلات كثيرة جدًا"},
    "series_counting": {"en": "still being counted", "ar": "قيد العدّ"},
    "top_problems": {"en": "Most reported problems", "ar": "أكثر المشكلات المبلغ عنها"},
    "no_problems_reported": {
        "en": "No problem reported in the last 24 hours.",
        "ar": "لم يُبلغ عن أي مشكلة خلال آخر ٢٤ ساعة.",
    },
    "map_title": {"en": "Where reports come from", "ar": "من أين تأتي البلاغات"},
    "map_hint": {
        "en": "Select a country to zoom into its cities.",
        "ar": "اختر دولة لتكبير مدنها.",
    },
    "map_world": {"en": "Whole world", "ar": "العالم كله"},
    "map_none": {"en": "No reports with a place yet.", "ar": "لا بلاغات بمكان معروف بعد."},
    "countries": {"en": "Countries", "ar": "الدول"},
    "cities": {"en": "Cities", "ar": "المدن"},
    "networks": {"en": "Networks", "ar": "الشبكات"},
    "networks_none": {
        "en": "No network is known for these reports.",
        "ar": "لا تُعرف شبكة لهذه البلاغات.",
    },
    "networks_no_data": {
        "en": "No network data: this server has no file that maps addresses to networks.",
        "ar": "لا بيانات عن الشبكات: ليس لدى هذا الخادم ملف يربط العناوين بشبكاتها.",
    },
    "reports": {"en": "reports", "ar": "بلاغ"},
    "timeline": {"en": "Timeline", "ar": "التسلسل الزمني"},
    "timeline_empty": {
        "en": "Nothing found for this service lately.",
        "ar": "لم يُرصد شيء لهذه الخدمة مؤخرًا.",
    },
    "source_rasd": {"en": "Rasd", "ar": "رصد"},
    "source_official": {"en": "Official", "ar": "رسمي"},
    "tl_opened_1": {
        "en": "Reports rose above the usual level: possible problems.",
        "ar": "ارتفعت البلاغات فوق المستوى المعتاد: مشكلات محتملة.",
    },
    "tl_opened_2": {
        "en": "Reports rose far above the usual level: problems detected.",
        "ar": "ارتفعت البلاغات كثيرًا فوق المستوى المعتاد: رُصدت مشكلات.",
    },
    "tl_detected": {
        "en": "Rasd detected the incident.",
        "ar": "رصد العطل.",
    },
    "tl_peak": {
        "en": "Peak: {n} reports a minute, {x}× the usual level.",
        "ar": "الذروة: {n} بلاغ في الدقيقة، {x} ضعف المستوى المعتاد.",
    },
    "tl_recovering": {"en": "Reports are falling back.", "ar": "البلاغات تتراجع."},
    "tl_resolved": {
        "en": "Back to the usual level.",
        "ar": "عادت البلاغات إلى مستواها المعتاد.",
    },
    "tl_relapses": {
        "en": "Problems came back {n} times after easing.",
        "ar": "عادت المشكلات {n} مرة بعد أن خفّت.",
    },
    "tl_probes": {
        "en": "Rasd's own checks of the service failed.",
        "ar": "فشلت فحوص رصد الخاصة للخدمة.",
    },
    "related": {"en": "Hit in the same outage", "ar": "متأثرة بالعطل نفسه"},
    "role_primary": {"en": "down", "ar": "معطلة"},
    "role_spillover": {"en": "reports rose too", "ar": "ارتفعت بلاغاتها أيضًا"},
    "see_event": {"en": "The whole outage", "ar": "العطل كاملًا"},
    "see_history": {"en": "Past incidents", "ar": "الأعطال السابقة"},
    "comments_title": {"en": "Comments", "ar": "التعليقات"},
    "comment_label": {"en": "What do you see?", "ar": "ماذا يحدث عندك؟"},
    "comment_problem": {"en": "Problem (optional)", "ar": "المشكلة (اختياري)"},
    "comment_send": {"en": "Post comment", "ar": "انشر التعليق"},
    "comment_rules": {
        "en": "Up to 500 characters. Comments with links, or repeated, wait for a moderator.",
        "ar": "حتى ٥٠٠ حرف. التعليقات التي فيها روابط أو المكررة تنتظر مراجعة المشرف.",
    },
    "comment_shown": {"en": "Thank you: your comment is shown.", "ar": "شكرًا: نُشر تعليقك."},
    "comment_held": {
        "en": "Thank you: your comment waits for a moderator before it is shown.",
        "ar": "شكرًا: سيظهر تعليقك بعد أن يراجعه المشرف.",
    },
    "comment_too_many": {
        "en": "Too many comments from your network; try again later.",
        "ar": "تعليقات كثيرة من شبكتك؛ حاول لاحقًا.",
    },
    "comment_failed": {
        "en": "The comment could not be posted.",
        "ar": "تعذّر نشر التعليق.",
    },
    "comments_none": {
        "en": "No comments yet. Say what you see.",
        "ar": "لا تعليقات بعد. قل ما يحدث عندك.",
    },
    "saying": {"en": "What people are saying", "ar": "ماذا يقول الناس"},
    "saying_empty": {
        "en": "No public post has complained about this service lately.",
        "ar": "لم يشتكِ أي منشور عام من هذه الخدمة مؤخرًا.",
    },
    "saying_original": {"en": "original post", "ar": "المنشور الأصلي"},
    "saying_note": {
        "en": "Public posts from Bluesky and Mastodon that complain about this service, "
        "newest first; shown as their authors wrote them.",
        "ar": "منشورات عامة من Bluesky وMastodon تشتكي من هذه الخدمة، الأحدث أولًا؛ "
        "تُعرض كما كتبها أصحابها.",
    },
    "official_status": {"en": "Official status page", "ar": "صفحة الحالة الرسمية"},
    # what the provider's own status page says (rasd.signals.official)
    "official_heading": {"en": "What the provider says", "ar": "ما يقوله المزوّد"},
    "official_state_operational": {
        "en": "The official page says all operational (checked {age} ago).",
        "ar": "تقول الصفحة الرسمية إن كل شيء يعمل (فُحصت قبل {age}).",
    },
    "official_state_degraded": {
        "en": "The official page says degraded performance (checked {age} ago).",
        "ar": "تقول الصفحة الرسمية إن الأداء متراجع (فُحصت قبل {age}).",
    },
    "official_state_partial_outage": {
        "en": "The official page says partial outage (checked {age} ago).",
        "ar": "تقول الصفحة الرسمية إن هناك انقطاعًا جزئيًا (فُحصت قبل {age}).",
    },
    "official_state_major_outage": {
        "en": "The official page says major outage (checked {age} ago).",
        "ar": "تقول الصفحة الرسمية إن هناك انقطاعًا كبيرًا (فُحصت قبل {age}).",
    },
    "official_state_maintenance": {
        "en": "Planned maintenance, announced on the official page (checked {age} ago): "
        "{title}. Alarms are held while it lasts.",
        "ar": "صيانة مجدولة أعلنتها الصفحة الرسمية (فُحصت قبل {age}): {title}. "
        "التنبيهات موقوفة طوال مدتها.",
    },
    "official_disagrees": {
        "en": "People and Rasd's checks say otherwise.",
        "ar": "لكن الناس وفحوص رصد تقول غير ذلك.",
    },
    "official_ack_after": {
        "en": "The provider first acknowledged it {lag} after Rasd detected it.",
        "ar": "أقرّ المزوّد بالمشكلة أول مرة بعد {lag} من رصدها.",
    },
    "official_ack_before": {
        "en": "The provider acknowledged it {lag} before Rasd detected it.",
        "ar": "أقرّ المزوّد بالمشكلة قبل {lag} من رصدها.",
    },
    "official_record": {
        "en": "Over 90 days, {owner} first spoke a median {lag} after Rasd saw a problem; "
        "{never}% of the outages Rasd saw ({events}) were never acknowledged.",
        "ar": "خلال ٩٠ يومًا تكلّمت {owner} لأول مرة بعد {lag} في الوسيط من رصد «رصد» للمشكلة، "
        "ولم يُعترف قط بـ{never}٪ من أعطالها التي رصدها «رصد» وعددها {events}.",
    },
    "official_record_silent": {
        "en": "Over 90 days, {owner} acknowledged none of the outages Rasd saw ({events}).",
        "ar": "خلال ٩٠ يومًا لم تعترف {owner} بأيٍّ من الأعطال التي رصدها «رصد» وعددها {events}.",
    },
    "official_ack_none": {
        "en": "No word from the provider yet, {lag} after Rasd detected it.",
        "ar": "لا كلمة من المزوّد بعد، مرّ {lag} على رصد المشكلة.",
    },
    "official_approximate": {"en": "(time approximate)", "ar": "(الوقت تقريبي)"},
    "official_s_investigating": {"en": "Investigating", "ar": "قيد التحقيق"},
    "official_s_identified": {"en": "Cause identified", "ar": "تم تحديد السبب"},
    "official_s_monitoring": {"en": "Monitoring a fix", "ar": "مراقبة الإصلاح"},
    "official_s_resolved": {"en": "Resolved", "ar": "تم الحل"},
    "official_s_postmortem": {"en": "Post-mortem", "ar": "تقرير ما بعد الحادث"},
    "official_s_scheduled": {"en": "Maintenance scheduled", "ar": "صيانة مجدولة"},
    "official_s_in_progress": {"en": "Maintenance in progress", "ar": "صيانة جارية"},
    "official_s_verifying": {"en": "Verifying", "ar": "قيد التحقق"},
    "official_s_completed": {"en": "Completed", "ar": "اكتملت"},
    "official_s_update": {"en": "Update", "ar": "تحديث"},
    "unit_seconds": {"en": "{n} s", "ar": "{n} ث"},
    "unit_minutes": {"en": "{n} min", "ar": "{n} د"},
    "unit_hours": {"en": "{n} h {m} min", "ar": "{n} س {m} د"},
    # the report button
    "report_button": {"en": "I have a problem with {name}", "ar": "عندي مشكلة في {name}"},
    "report_question": {
        "en": "What is not working?",
        "ar": "ما الذي لا يعمل؟",
    },
    "report_country": {"en": "Your country", "ar": "دولتك"},
    "report_send": {"en": "Send report", "ar": "أرسل البلاغ"},
    "report_cancel": {"en": "Cancel", "ar": "إلغاء"},
    "report_thanks": {
        "en": "Thank you. Your report counts: it helps everyone see what is going on.",
        "ar": "شكرًا لك. بلاغك يُحتسب، ويساعد الجميع على فهم ما يحدث.",
    },
    "report_once": {
        "en": "One report per person counts; reporting again soon changes nothing.",
        "ar": "يُحتسب بلاغ واحد لكل شخص، ولا يغير تكرار البلاغ شيئًا.",
    },
    "report_failed": {
        "en": "Your report could not be sent. Please try again in a moment.",
        "ar": "تعذر إرسال بلاغك. حاول مرة أخرى بعد قليل.",
    },
    "report_choose": {"en": "Choose a problem first.", "ar": "اختر مشكلة أولًا."},
    "report_need_country": {
        "en": "Choose your country: reports are counted by place.",
        "ar": "اختر دولتك: تُحتسب البلاغات حسب المكان.",
    },
    "report_needs_script": {
        "en": "Reporting needs JavaScript in this browser.",
        "ar": "يتطلب الإبلاغ تفعيل JavaScript في هذا المتصفح.",
    },
    # the alerts form of a service page, and the page it answers with
    "alerts_title": {"en": "Get alerts", "ar": "احصل على التنبيهات"},
    "alerts_intro": {
        "en": "Be told when {name} has problems and when it is back: in a chat, by email, or "
        "at a webhook of yours.",
        "ar": "اعرف متى تتعطل {name} ومتى تعود: في محادثة أو بالبريد أو عبر خطّاف ويب خاص بك.",
    },
    "alerts_channel": {"en": "Where to send them", "ar": "إلى أين تُرسل"},
    "alerts_apprise": {
        "en": "Chat or email: an apprise URL (tgram://…, mailto://…, discord://…)",
        "ar": "محادثة أو بريد: عنوان apprise (‎tgram://…‎، ‎mailto://…‎، ‎discord://…‎)",
    },
    "alerts_webhook": {
        "en": "My webhook: signed JSON to an https:// URL",
        "ar": "خطّاف ويب خاص بي: رسالة JSON موقّعة إلى عنوان https://",
    },
    "alerts_url": {"en": "Address", "ar": "العنوان"},
    "alerts_level": {"en": "From which level", "ar": "ابتداءً من أي مستوى"},
    "alerts_send": {"en": "Send me a confirmation", "ar": "أرسل إليّ رسالة تأكيد"},
    "alerts_note": {
        "en": "One message asks you to confirm; nothing else comes until you follow its link. "
        "Every alert has a link to stop them.",
        "ar": "تصلك رسالة واحدة تطلب التأكيد، ولن يصل غيرها حتى تفتح رابطها. في كل تنبيه رابط "
        "لإيقاف التنبيهات.",
    },
    "alerts_failed": {"en": "Nothing was sent.", "ar": "لم يُرسل شيء."},
    "alerts_bad_url": {
        "en": "Check the address: a webhook is an http:// or https:// URL; for chat and email, "
        "use an apprise URL.",
        "ar": "تحقق من العنوان: خطّاف الويب عنوان يبدأ بـhttp://‎ أو https://‎؛ وللمحادثة والبريد "
        "استخدم عنوان apprise.",
    },
    "alerts_limited": {
        "en": "Too many requests from your network. Please try again later.",
        "ar": "طلبات كثيرة من شبكتك. حاول مرة أخرى لاحقًا.",
    },
    "alerts_waiting": {
        "en": "Confirmations are waiting at this address already: follow the link of one of them.",
        "ar": "توجد رسائل تأكيد بانتظارك على هذا العنوان: افتح رابط إحداها.",
    },
    "alerts_invalid": {
        "en": "Check the form and try again.",
        "ar": "تحقق من النموذج وحاول مرة أخرى.",
    },
    "alerts_back": {"en": "Back to {name}", "ar": "العودة إلى {name}"},
    # the page a confirmation link opens
    "confirm_title": {"en": "Confirm alerts", "ar": "تأكيد التنبيهات"},
    "confirm_intro": {
        "en": "Someone asked Rasd to send alerts to this address. Opening this page changed "
        "nothing: confirm only if the address is yours and you want these alerts.",
        "ar": "طلب أحدهم من رصد إرسال تنبيهات إلى هذا العنوان. فتح هذه الصفحة لم يغيّر شيئًا: "
        "أكّد فقط إن كان العنوان لك وتريد هذه التنبيهات.",
    },
    "confirm_about": {"en": "About", "ar": "عن"},
    "confirm_scope_all": {"en": "Every service Rasd watches", "ar": "كل الخدمات التي يرصدها «رصد»"},
    "confirm_scope_service": {"en": "{name}", "ar": "{name}"},
    "confirm_scope_owner": {"en": "The services of {name}", "ar": "خدمات {name}"},
    "confirm_scope_country": {
        "en": "The services used in {name}",
        "ar": "الخدمات المستخدمة في {name}",
    },
    "confirm_sent_to": {"en": "Sent to", "ar": "تُرسل إلى"},
    "confirm_channel_webhook": {"en": "Webhook", "ar": "خطّاف ويب"},
    "confirm_channel_apprise": {"en": "Chat or email (apprise)", "ar": "محادثة أو بريد (apprise)"},
    "confirm_until": {"en": "This link works until", "ar": "يعمل هذا الرابط حتى"},
    "confirm_button": {"en": "Confirm and start the alerts", "ar": "أكّد وابدأ التنبيهات"},
    "confirm_ignore": {
        "en": "Not yours? Do nothing: the request is forgotten when the link lapses.",
        "ar": "ليس لك؟ لا تفعل شيئًا: يُنسى الطلب عند انتهاء صلاحية الرابط.",
    },
    "confirm_done": {
        "en": "Confirmed: alerts will come to this address. Every message has a link to stop them.",
        "ar": "تم التأكيد: ستصل التنبيهات إلى هذا العنوان. في كل رسالة رابط لإيقافها.",
    },
    "confirm_before": {
        "en": "This link was followed before; nothing changed.",
        "ar": "فُتح هذا الرابط من قبل؛ لم يتغير شيء.",
    },
    "confirm_unknown": {
        "en": "This confirmation link is not valid; it may have lapsed, or been refused.",
        "ar": "رابط التأكيد هذا غير صالح؛ ربما انتهت صلاحيته أو رُفض الطلب.",
    },
    "confirm_expired": {
        "en": "This confirmation link has lapsed. Ask for the alerts again from a service page.",
        "ar": "انتهت صلاحية رابط التأكيد هذا. اطلب التنبيهات من جديد من صفحة الخدمة.",
    },
    # the page an unsubscribe link opens
    "unsubscribe_title": {"en": "Stop alerts", "ar": "إيقاف التنبيهات"},
    "unsubscribe_intro": {
        "en": "Opening this page changed nothing. Press the button to stop these alerts.",
        "ar": "فتح هذه الصفحة لم يغيّر شيئًا. اضغط الزر لإيقاف هذه التنبيهات.",
    },
    "unsubscribe_button": {"en": "Stop these alerts", "ar": "أوقف هذه التنبيهات"},
    "unsubscribe_done": {
        "en": "Done: you will not get these messages any more.",
        "ar": "تم: لن تصلك هذه الرسائل بعد الآن.",
    },
    "unsubscribe_before": {
        "en": "These alerts were stopped before; nothing changed.",
        "ar": "أُوقفت هذه التنبيهات من قبل؛ لم يتغير شيء.",
    },
    "unsubscribe_unknown": {
        "en": "This unsubscribe link is not valid.",
        "ar": "رابط إلغاء الاشتراك هذا غير صالح.",
    },
    # event page
    "event": {"en": "Outage", "ar": "عطل"},
    "event_primary": {"en": "Down", "ar": "معطلة"},
    "event_spillover": {
        "en": "Reports rose too (people switching, or blaming the wrong service)",
        "ar": "ارتفعت بلاغاتها أيضًا (انتقال الناس إليها أو خلط بين الخدمات)",
    },
    "event_where": {"en": "Where", "ar": "أين"},
    "event_growth": {
        "en": "How it grew and receded",
        "ar": "كيف تصاعد العطل ثم انحسر",
    },
    "event_cause": {"en": "What the checks suggest", "ar": "ما تشير إليه الفحوص"},
    "event_cause_none": {
        "en": "No cause suggested by Rasd's checks yet.",
        "ar": "لم تُشر فحوص رصد إلى سبب بعد.",
    },
    "event_cause_note": {
        "en": "A suggestion with its evidence, never a verdict.",
        "ar": "اقتراح مع أدلته، وليس حكمًا نهائيًا.",
    },
    "state_active": {"en": "Ongoing", "ar": "جارٍ"},
    "state_recovering": {"en": "Recovering", "ar": "في طور التعافي"},
    "state_resolved": {"en": "Over", "ar": "انتهى"},
    "state_merged": {"en": "Merged into another outage", "ar": "دُمج في عطل آخر"},
    "state_opened": {"en": "Ongoing", "ar": "جارٍ"},
    "state_ongoing": {"en": "Ongoing", "ar": "جارٍ"},
    "kind_outage": {"en": "Outage", "ar": "عطل"},
    "kind_regional": {"en": "Regional network outage", "ar": "عطل في شبكة إقليمية"},
    "from_to": {"en": "{start} to {end}", "ar": "من {start} إلى {end}"},
    "duration": {"en": "Duration", "ar": "المدة"},
    # history
    "history_title": {"en": "Past incidents", "ar": "الأعطال السابقة"},
    "history_of": {"en": "Past incidents of {name}", "ar": "الأعطال السابقة في {name}"},
    "history_empty": {"en": "No incident recorded.", "ar": "لا أعطال مسجلة."},
    "col_service": {"en": "Service", "ar": "الخدمة"},
    "col_start": {"en": "Started", "ar": "البداية"},
    "col_duration": {"en": "Duration", "ar": "المدة"},
    "col_peak": {"en": "Peak (reports a minute)", "ar": "الذروة (بلاغ في الدقيقة)"},
    "col_ratio": {"en": "Times the usual", "ar": "أضعاف المعتاد"},
    "col_severity": {"en": "Severity", "ar": "الشدة"},
    "col_state": {"en": "State", "ar": "الحالة"},
    "grade_minor": {"en": "minor", "ar": "طفيف"},
    "grade_major": {"en": "major", "ar": "كبير"},
    "grade_critical": {"en": "critical", "ar": "حرج"},
    "ongoing": {"en": "ongoing", "ar": "مستمر"},
    "minutes_short": {"en": "{n} min", "ar": "{n} د"},
    "hours_short": {"en": "{h} h {m} min", "ar": "{h} س {m} د"},
    "not_found_title": {"en": "Not found", "ar": "غير موجود"},
    "not_found_text": {
        "en": "There is no such page. Try the search on the home page.",
        "ar": "لا توجد صفحة كهذه. جرّب البحث في الصفحة الرئيسية.",
    },
    "footer": {
        "en": "Rasd counts one report per person, compares it with the usual level for the "
        "time of day, and checks the services itself.",
        "ar": "يحتسب رصد بلاغًا واحدًا لكل شخص، ويقارنه بالمستوى المعتاد في ذلك الوقت من "
        "اليوم، ويفحص الخدمات بنفسه.",
    },
    "utc_note": {
        "en": "Times in your time zone; hover for UTC.",
        "ar": "الأوقات بتوقيتك؛ مرّر المؤشر لرؤية التوقيت العالمي.",
    },
}

# the strings the page's script needs, sent in its JSON block
CLIENT_KEYS = (
    "level_0",
    "comment_shown",
    "comment_held",
    "comment_too_many",
    "comment_failed",
    "comments_none",
    "level_1",
    "level_2",
    "search_none",
    "search_results",
    "series_reports",
    "series_usual",
    "series_counting",
    "check_running",
    "check_up",
    "check_down",
    "check_dns",
    "check_web",
    "check_cert",
    "check_redirects",
    "check_crowd",
    "check_busy",
    "check_refused",
    "check_offline",
    "check_failed",
    "check_outcome_nxdomain",
    "check_outcome_servfail",
    "check_outcome_timeout",
    "check_outcome_tls_error",
    "check_outcome_cert_expired",
    "check_outcome_connect_error",
    "check_outcome_http_5xx",
    "check_outcome_bad_response",
    "check_outcome_too_many_redirects",
    "reports",
    "live_on",
    "live_off",
    "report_thanks",
    "report_once",
    "report_failed",
    "report_choose",
    "report_need_country",
    "map_world",
    "map_none",
    "countries",
    "cities",
    "spark_label",
    "ongoing",
    "minutes_short",
    "hours_short",
    "tl_opened_1",
    "tl_opened_2",
    "tl_detected",
    "tl_peak",
    "tl_recovering",
    "tl_resolved",
    "source_rasd",
    "source_official",
)


def strings(lang: str) -> dict[str, str]:
    table = {key: value.get(lang) or value[DEFAULT] for key, value in STRINGS.items()}
    said = words(lang)
    table.update({f"level_{level}": level_name(said, level) for level in LEVEL_NAMES})
    return table


def client_strings(lang: str) -> dict[str, str]:
    table = strings(lang)
    return {key: table[key] for key in CLIENT_KEYS}


def choose(query: str | None, cookies: Mapping[str, str], accept_language: str | None) -> str:
    """The visitor's language: an explicit choice first, then the browser's preference."""
    for explicit in (query, cookies.get(COOKIE)):
        if explicit in languages():
            return str(explicit)
    return _from_accept(accept_language or "")


def _from_accept(header: str) -> str:
    best, best_q = DEFAULT, -1.0
    known = languages()
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in known:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # equal weights keep the browser's order
        score = q - order * 1e-6
        if q > 0 and score > best_q:
            best, best_q = primary, score
    return best


def region_of(accept_language: str | None) -> str | None:
    """The region of the browser's first language with one (`ar-EG` -> `EG`), for a default."""
    for part in (accept_language or "").split(","):
        tag = part.strip().split(";")[0]
        pieces = tag.replace("_", "-").split("-")
        for piece in pieces[1:]:
            if len(piece) == 2 and piece.isalpha():
                return piece.upper()
    return None


def digits(text: str, lang: str) -> str:
    """Numbers as the locale writes them: Arabic-Indic digits and separators in Arabic."""
    if lang != "ar":
        return text
    return text.translate(_ARABIC_DIGITS)


_ARABIC_DIGITS = str.maketrans("0123456789,.", "٠١٢٣٤٥٦٧٨٩٬٫")


def number(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return digits(text, lang)
