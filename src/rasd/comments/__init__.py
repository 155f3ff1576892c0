"""Comments people write on a service's page: kept, screened, moderated, counted as posts."""

from rasd.comments.book import Comment, CommentBook
from rasd.comments.names import described
from rasd.comments.screen import MAX_TEXT, clean, fingerprint, has_link

__all__ = ["MAX_TEXT", "Comment", "CommentBook", "clean", "described", "fingerprint", "has_link"]
