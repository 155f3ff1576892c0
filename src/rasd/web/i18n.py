"""Every string the site shows, in English and Arabic, and how a visitor's language is chosen.

The language comes from `?lang=`, then the `lang` cookie the switch sets, then the browser's
Accept-Language; English when none of them names a language Rasd has a catalog for
(`rasd.locale`: Arabic and English, and any a translator adds).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from rasd.locale import N_, SOURCE, Words, languages, words
from rasd.locale.terms import LEVEL_NAMES
from rasd.web.weights import weighted

DEFAULT = SOURCE
COOKIE = "lang"

# the language switch is written in the language it leads to: its name, and a call to read it
# TRANSLATORS: the name of your language, as its speakers write it
LANGUAGE_NAME = N_("English")
# TRANSLATORS: "read in <your language>", in your language
READ_IN = N_("Read in English")

# key -> message (translated in rasd/locale); `{name}`-style fields are filled by the template
# or the script
STRINGS: dict[str, str] = {
    **{f"level_{level}": message for level, message in LEVEL_NAMES.items()},
    "site_name": N_("Rasd"),
    "tagline": N_("Is it down, or is it me? Outages of online services, as they happen."),
    "nav_home": N_("Status now"),
    "search_label": N_("Find a service"),
    "search_placeholder": N_("Name, in any language: WhatsApp, واتس…"),
    "search_button": N_("Search"),
    "search_none": N_("No service by that name."),
    "search_results": N_("Services found"),
    "category": N_("Category"),
    "country": N_("Country"),
    "any_category": N_("All categories"),
    "any_country": N_("All countries"),
    "filter": N_("Show"),
    "browse": N_("Browse services"),
    "section_2": N_("Problems detected"),
    "section_1": N_("Possible problems"),
    "section_0": N_("Working normally"),
    "none_with_problems": N_("No service shows problems right now."),
    "live_events": N_("Outages now"),
    "since": N_("since"),
    "event_since": N_("{title} — since {time}"),
    "spark_label": N_("Reports over the last 24 hours: {n}"),
    "reports_24h": N_("reports in 24 h"),
    "live_on": N_("Live"),
    "live_off": N_("Reconnecting…"),
    "updated": N_("Updated"),
    # service page
    "status_2": N_("Users report problems with {name} since {time}."),
    "status_1": N_(
        "Reports about {name} have been above the usual level since {time}: possible problems."
    ),
    "status_0": N_("No problems at {name} right now: reports are at their usual level."),
    "chart_title": N_("Reports in the last 24 hours"),
    "series_reports": N_("Reports"),
    "series_usual": N_("Usual level"),
    "impact_note": N_(
        "An estimate from the reports above the usual level; the range says how uncertain it is."
    ),
    "check_title": N_("Check it now"),
    "check_label": N_("A service or a web address"),
    "check_button": N_("Check"),
    "check_running": N_("Checking from this server…"),
    "check_up": N_("Working from here"),
    "check_down": N_("Not working from here"),
    "check_dns": N_("DNS: answers in {ms} ms"),
    "check_web": N_("Web: status {status} in {ms} ms"),
    "check_cert": N_("Certificate valid for {n} more days"),
    "check_redirects": N_("Followed {n} redirect(s)"),
    "check_crowd": N_("What people report: {status}"),
    "check_busy": N_("Too many checks from your network; try again in a minute."),
    "check_refused": N_("Not checked: only public services and web addresses are."),
    "check_offline": N_("This server runs offline: it checks nothing beyond its own machine."),
    "check_failed": N_("The check could not be made."),
    "check_outcome_nxdomain": N_("the name does not exist"),
    "check_outcome_servfail": N_("name servers failed"),
    "check_outcome_timeout": N_("no answer in time"),
    "check_outcome_tls_error": N_("certificate or TLS problem"),
    "check_outcome_cert_expired": N_("the certificate has expired"),
    "check_outcome_connect_error": N_("connection refused or cut"),
    "check_outcome_http_5xx": N_("server error"),
    "check_outcome_bad_response": N_("not a valid web answer"),
    "check_outcome_too_many_redirects": N_("too many redirects"),
    "series_counting": N_("still being counted"),
    "top_problems": N_("Most reported problems"),
    "no_problems_reported": N_("No problem reported in the last 24 hours."),
    "map_title": N_("Where reports come from"),
    "map_hint": N_("Select a country to zoom into its cities."),
    "map_world": N_("Whole world"),
    "map_none": N_("No reports with a place yet."),
    "countries": N_("Countries"),
    "cities": N_("Cities"),
    "networks": N_("Networks"),
    "networks_none": N_("No network is known for these reports."),
    "networks_no_data": N_(
        "No network data: this server has no file that maps addresses to networks."
    ),
    "reports": N_("reports"),
    "timeline": N_("Timeline"),
    "timeline_empty": N_("Nothing found for this service lately."),
    "source_rasd": N_("Rasd"),
    "source_official": N_("Official"),
    "tl_opened_1": N_("Reports rose above the usual level: possible problems."),
    "tl_opened_2": N_("Reports rose far above the usual level: problems detected."),
    "tl_detected": N_("Rasd detected the incident."),
    "tl_peak": N_("Peak: {n} reports a minute, {x}× the usual level."),
    "tl_recovering": N_("Reports are falling back."),
    "tl_resolved": N_("Back to the usual level."),
    "tl_relapses": N_("Problems came back {n} times after easing."),
    "tl_probes": N_("Rasd's own checks of the service failed."),
    "related": N_("Hit in the same outage"),
    "role_primary": N_("down"),
    "role_spillover": N_("reports rose too"),
    "see_event": N_("The whole outage"),
    "see_history": N_("Past incidents"),
    "comments_title": N_("Comments"),
    "comment_label": N_("What do you see?"),
    "comment_problem": N_("Problem (optional)"),
    "comment_send": N_("Post comment"),
    "comment_rules": N_(
        "Up to 500 characters. Comments with links, or repeated, wait for a moderator."
    ),
    "comment_shown": N_("Thank you: your comment is shown."),
    "comment_held": N_("Thank you: your comment waits for a moderator before it is shown."),
    "comment_too_many": N_("Too many comments from your network; try again later."),
    "comment_failed": N_("The comment could not be posted."),
    "comments_none": N_("No comments yet. Say what you see."),
    "saying": N_("What people are saying"),
    "saying_empty": N_("No public post has complained about this service lately."),
    "saying_original": N_("original post"),
    "saying_note": N_(
        "Public posts from Bluesky and Mastodon that complain about this service, "
        "newest first; shown as their authors wrote them."
    ),
    "official_status": N_("Official status page"),
    # what the provider's own status page says (rasd.signals.official)
    "official_heading": N_("What the provider says"),
    "official_state_operational": N_("The official page says all operational (checked {age} ago)."),
    "official_state_degraded": N_(
        "The official page says degraded performance (checked {age} ago)."
    ),
    "official_state_partial_outage": N_(
        "The official page says partial outage (checked {age} ago)."
    ),
    "official_state_major_outage": N_("The official page says major outage (checked {age} ago)."),
    "official_state_maintenance": N_(
        "Planned maintenance, announced on the official page (checked {age} ago): "
        "{title}. Alarms are held while it lasts."
    ),
    "official_disagrees": N_("People and Rasd's checks say otherwise."),
    "official_ack_after": N_("The provider first acknowledged it {lag} after Rasd detected it."),
    "official_ack_before": N_("The provider acknowledged it {lag} before Rasd detected it."),
    "official_record": N_(
        "Over 90 days, {owner} first spoke a median {lag} after Rasd saw a problem; "
        "of the outages Rasd saw ({events}), {never}% were never acknowledged."
    ),
    "official_record_silent": N_(
        "Over 90 days, {owner} acknowledged none of the outages Rasd saw ({events})."
    ),
    "official_ack_none": N_("No word from the provider yet, {lag} after Rasd detected it."),
    "official_approximate": N_("(time approximate)"),
    "official_s_investigating": N_("Investigating"),
    "official_s_identified": N_("Cause identified"),
    "official_s_monitoring": N_("Monitoring a fix"),
    "official_s_resolved": N_("Resolved"),
    "official_s_postmortem": N_("Post-mortem"),
    "official_s_scheduled": N_("Maintenance scheduled"),
    "official_s_in_progress": N_("Maintenance in progress"),
    "official_s_verifying": N_("Verifying"),
    "official_s_completed": N_("Completed"),
    "official_s_update": N_("Update"),
    "unit_seconds": N_("{n} s"),
    "unit_minutes": N_("{n} min"),
    "unit_hours": N_("{n} h {m} min"),
    # the report button
    "report_button": N_("I have a problem with {name}"),
    "report_question": N_("What is not working?"),
    "report_country": N_("Your country"),
    "report_send": N_("Send report"),
    "report_cancel": N_("Cancel"),
    "report_thanks": N_("Thank you. Your report counts: it helps everyone see what is going on."),
    "report_once": N_("One report per person counts; reporting again soon changes nothing."),
    "report_failed": N_("Your report could not be sent. Please try again in a moment."),
    "report_choose": N_("Choose a problem first."),
    "report_need_country": N_("Choose your country: reports are counted by place."),
    "report_needs_script": N_("Reporting needs JavaScript in this browser."),
    # the alerts form of a service page, and the page it answers with
    "alerts_title": N_("Get alerts"),
    "alerts_intro": N_(
        "Be told when {name} has problems and when it is back: in a chat, by email, or "
        "at a webhook of yours."
    ),
    "alerts_channel": N_("Where to send them"),
    "alerts_apprise": N_("Chat or email: an apprise URL (tgram://…, mailto://…, discord://…)"),
    "alerts_webhook": N_("My webhook: signed JSON to an https:// URL"),
    "alerts_url": N_("Address"),
    "alerts_level": N_("From which level"),
    "alerts_send": N_("Send me a confirmation"),
    "alerts_note": N_(
        "One message asks you to confirm; nothing else comes until you follow its link. "
        "Every alert has a link to stop them."
    ),
    "alerts_failed": N_("Nothing was sent."),
    "alerts_bad_url": N_(
        "Check the address: a webhook is an http:// or https:// URL; for chat and email, "
        "use an apprise URL."
    ),
    "alerts_limited": N_("Too many requests from your network. Please try again later."),
    "alerts_waiting": N_(
        "Confirmations are waiting at this address already: follow the link of one of them."
    ),
    "alerts_invalid": N_("Check the form and try again."),
    "alerts_back": N_("Back to {name}"),
    # the page a confirmation link opens
    "confirm_title": N_("Confirm alerts"),
    "confirm_intro": N_(
        "Someone asked Rasd to send alerts to this address. Opening this page changed "
        "nothing: confirm only if the address is yours and you want these alerts."
    ),
    "confirm_about": N_("About"),
    "confirm_scope_all": N_("Every service Rasd watches"),
    "confirm_scope_service": N_("{name}"),
    "confirm_scope_owner": N_("The services of {name}"),
    "confirm_scope_country": N_("The services used in {name}"),
    "confirm_sent_to": N_("Sent to"),
    "confirm_channel_webhook": N_("Webhook"),
    "confirm_channel_apprise": N_("Chat or email (apprise)"),
    "confirm_until": N_("This link works until"),
    "confirm_button": N_("Confirm and start the alerts"),
    "confirm_ignore": N_("Not yours? Do nothing: the request is forgotten when the link lapses."),
    "confirm_done": N_(
        "Confirmed: alerts will come to this address. Every message has a link to stop them."
    ),
    "confirm_before": N_("This link was followed before; nothing changed."),
    "confirm_unknown": N_(
        "This confirmation link is not valid; it may have lapsed, or been refused."
    ),
    "confirm_expired": N_(
        "This confirmation link has lapsed. Ask for the alerts again from a service page."
    ),
    # the page an unsubscribe link opens
    "unsubscribe_title": N_("Stop alerts"),
    "unsubscribe_intro": N_(
        "Opening this page changed nothing. Press the button to stop these alerts."
    ),
    "unsubscribe_button": N_("Stop these alerts"),
    "unsubscribe_done": N_("Done: you will not get these messages any more."),
    "unsubscribe_before": N_("These alerts were stopped before; nothing changed."),
    "unsubscribe_unknown": N_("This unsubscribe link is not valid."),
    # event page
    "event": N_("Outage"),
    "event_primary": N_("Down"),
    "event_spillover": N_("Reports rose too (people switching, or blaming the wrong service)"),
    "event_where": N_("Where"),
    "event_growth": N_("How it grew and receded"),
    "event_cause": N_("What the checks suggest"),
    "event_cause_none": N_("No cause suggested by Rasd's checks yet."),
    "event_cause_note": N_("A suggestion with its evidence, never a verdict."),
    "state_active": N_("Ongoing"),
    "state_recovering": N_("Recovering"),
    "state_resolved": N_("Over"),
    "state_merged": N_("Merged into another outage"),
    "state_opened": N_("Ongoing"),
    "state_ongoing": N_("Ongoing"),
    "kind_outage": N_("Outage"),
    "kind_regional": N_("Regional network outage"),
    "from_to": N_("{start} to {end}"),
    "duration": N_("Duration"),
    # history
    "history_title": N_("Past incidents"),
    "history_of": N_("Past incidents of {name}"),
    "history_empty": N_("No incident recorded."),
    "col_service": N_("Service"),
    "col_start": N_("Started"),
    "col_duration": N_("Duration"),
    "col_peak": N_("Peak (reports a minute)"),
    "col_ratio": N_("Times the usual"),
    "col_severity": N_("Severity"),
    "col_state": N_("State"),
    "grade_minor": N_("minor"),
    "grade_major": N_("major"),
    "grade_critical": N_("critical"),
    "ongoing": N_("ongoing"),
    "minutes_short": N_("{n} min"),
    "hours_short": N_("{h} h {m} min"),
    "not_found_title": N_("Not found"),
    "not_found_text": N_("There is no such page. Try the search on the home page."),
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


def other_language(lang: str) -> str:
    """The language the switch of a page in `lang` leads to."""
    return "en" if lang == "ar" else "ar"


def strings(lang: str) -> dict[str, str]:
    return dict(_table(words(lang), words(other_language(lang))))


@lru_cache(maxsize=16)
def _table(said: Words, other: Words) -> dict[str, str]:
    # keyed by the catalogs' own objects: catalogs read again (rasd.locale.forget) are new keys
    table = {key: said(message) for key, message in STRINGS.items()}
    table["switch_language"] = other(LANGUAGE_NAME)
    table["switch_language_label"] = other(READ_IN)
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
    for order, (tag, q) in enumerate(weighted(header)):
        primary = tag.split("-")[0]
        if primary not in known:
            continue
        # equal weights keep the browser's order
        score = q - order * 1e-6
        if q > 0 and score > best_q:
            best, best_q = primary, score
    return best


def digits(text: str, lang: str) -> str:
    """Numbers as the locale writes them: Arabic-Indic digits and separators in Arabic."""
    if lang != "ar":
        return text
    return text.translate(_ARABIC_DIGITS)


_ARABIC_DIGITS = str.maketrans("0123456789,.", "٠١٢٣٤٥٦٧٨٩٬٫")


def number(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return digits(text, lang)
