"""Providers' own status pages, read as evidence: what they admit, and when.

One module per format (`statuspage` for Atlassian Statuspage and incident.io's compatible
pages, `instatus`, `google`, `slack`, `feed` for RSS/Atom, `plain` for a page that publishes
nothing a program can read), each turning the documents it fetches into one `Reading`;
`fetch` gets them politely; `poller` is the source that keeps every page read.
"""
