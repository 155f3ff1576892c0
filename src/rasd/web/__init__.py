"""The site: live status pages in Arabic and English, drawn on the server, live in the page."""
