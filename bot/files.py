"""Files and images for one person: always sent in their private chat, never in a group."""

from __future__ import annotations

from bot.context import Context
from bot.events import ChatKind, ChatRef, SendFile, SendImage

__all__ = ["send_file_privately", "send_image_privately"]


def _private_chat(ctx: Context) -> ChatRef:
    if ctx.chat.is_private:
        return ctx.chat
    return ChatRef(ctx.user.platform, ctx.user.user_id, ChatKind.PRIVATE)


def _tell_the_group(ctx: Context) -> None:
    if not ctx.chat.is_private and not any(
        getattr(a, "chat", None) == ctx.chat for a in ctx.actions
    ):
        ctx.reply("files.sent_privately")


def send_file_privately(ctx: Context, filename: str, content: bytes, caption: str = "") -> None:
    """Send a file to the person privately; in a group, say there that it went privately."""
    _tell_the_group(ctx)
    ctx.actions.append(SendFile(_private_chat(ctx), filename, content, caption))


def send_image_privately(ctx: Context, png: bytes, caption: str = "") -> None:
    """Send a PNG image to the person privately (see `send_file_privately`)."""
    _tell_the_group(ctx)
    ctx.actions.append(SendImage(_private_chat(ctx), png, caption))
