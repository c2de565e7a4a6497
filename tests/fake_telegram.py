"""A fake Telegram Bot API on 127.0.0.1, for driving the real python-telegram-bot in tests.

It keeps the chats and the messages the bot sent (as people see them: HTML parsed the
way Telegram parses it, and refused the way Telegram refuses bad markup), hands updates
out through `getUpdates` long polling with offsets, answers scripted errors, records
every call with the time it arrived, and fails loudly on any method it does not know
(HTTP 404, listed in `unknown`). Updates are real Telegram JSON, built by the helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

__all__ = ["BOT_USERNAME", "TOKEN", "ApiError", "Call", "FakeTelegram", "Sent"]

BOT_ID = 987654321
BOT_USERNAME = "MainforteTestBot"
TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_0123456789abc"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Mainforte",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
Json = dict[str, Any]
Files = dict[str, tuple[str, bytes]]  # multipart part name -> (file name, content)

# Parameters PTB sends JSON-encoded; the others (text, captions, ids of queries) are raw.
_JSON_PARAMS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "reply_markup",
    "reply_parameters",
    "scope",
    "commands",
    "show_alert",
    "max_connections",
    "drop_pending_updates",
    "cache_time",
}
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
_TAGS |= {"a", "code", "pre", "blockquote", "tg-emoji"}
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SEQUENCE = itertools.count(1)


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


@dataclass
class Call:
    method: str
    params: Json
    files: Files
    at: float  # time.monotonic() on arrival
    status: int = 200


@dataclass
class Sent:
    """A message in a chat, as its members see it."""

    chat_id: int
    message_id: int
    text: str
    html: str = ""
    keyboard: list[list[Json]] = field(default_factory=list)
    sender: Json = field(default_factory=lambda: BOT_USER)
    edits: int = 0
    deleted: bool = False
    file: tuple[str, bytes] | None = None
    seq: int = field(default_factory=lambda: next(_SEQUENCE))  # order across all chats

    @property
    def labels(self) -> list[str]:
        return [str(b["text"]) for row in self.keyboard for b in row]

    def find_button(self, label: str) -> Json | None:
        for row in self.keyboard:
            for button in row:
                if label.casefold() in str(button["text"]).casefold():
                    return button
        return None


@dataclass
class _Scripted:
    method: str
    error: ApiError
    times: int
    when: Callable[[Json], bool] | None


class _TelegramHTML(HTMLParser):
    """Telegram's HTML: a few tags, entities; anything else is a 400."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> str:
    """The text people see, or ApiError(400) like Telegram's."""
    if re.search(r"<(?![a-zA-Z/])|&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", markup):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped < or &")
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    if parser.error or parser.open:
        problem = (
            parser.error or f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
        )
        raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
    return "".join(parser.text)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    """The Bot API of one bot, with its chats, people and updates."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.chats: dict[int, Json] = {}
        self.messages: dict[int, list[Sent]] = {}
        self.admins: dict[int, list[int]] = {}  # the creator first
        self.users: dict[int, Json] = {}
        self.started: set[int] = set()  # people who opened their private chat with the bot
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.commands: dict[tuple[str, str | None], list[Json]] = {}
        self.webhook: Json | None = None
        self.answers: dict[str, Json] = {}
        self.pushed: dict[int, Json] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}  # file id -> (path, content) people sent
        self.downloads: list[str] = []  # file paths the bot downloaded
        self._updates: list[Json] = []
        self._update_ids = itertools.count(5000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._queries: set[str] = set()
        self._scripted: list[_Scripted] = []
        self._arrival = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._methods: dict[str, Callable[[Json, Files], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": lambda p, f: True,
            "setWebhook": self._set_webhook,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._answer,
            "setMyCommands": self._set_commands,
            "getChatAdministrators": self._get_admins,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
        }

    # --- server ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._http)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._http_download)
        app.router.add_route("*", "/{path:.*}", self._http_unknown)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        self._closing = True
        self._arrival.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _http_download(self, request: web.Request) -> web.Response:
        """The file route of the Bot API: what `getFile` named, for the right token only."""
        path = request.match_info["path"]
        found = [c for p, c in self.uploads.values() if p == path]
        if request.match_info["token"] != TOKEN or not found:
            self.unknown.append(request.path)
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        return web.Response(body=found[0], content_type="application/octet-stream")

    async def _http_unknown(self, request: web.Request) -> web.Response:
        self.unknown.append(request.path)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _http(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._read(request)
        call = Call(method, params, files, time.monotonic())
        self.calls.append(call)
        try:
            if request.match_info["token"] != TOKEN:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method)
            if handler is None:
                self.unknown.append(method)
                raise ApiError(404, "Not Found: method not found")
            self._raise_scripted(method, params)
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            call.status = exc.status
            body: Json = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.status)
        return web.json_response({"ok": True, "result": result})

    async def _read(self, request: web.Request) -> tuple[Json, Files]:
        params: Json = {}
        files: Files = {}
        if request.content_type == "application/json":
            return dict(await request.json()), files
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
            elif key in _JSON_PARAMS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        return params, files

    # --- scripting ---------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[Json], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (matching `when`) with an error."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(status, description, parameters)
        self._scripted.append(_Scripted(method, error, times, when))

    def _raise_scripted(self, method: str, params: Json) -> None:
        for scripted in self._scripted:
            if scripted.method == method and (scripted.when is None or scripted.when(params)):
                scripted.times -= 1
                if scripted.times <= 0:
                    self._scripted.remove(scripted)
                raise scripted.error

    # --- people, chats, updates ---------------------------------------------------------

    def user(self, user_id: int, first_name: str, *, language: str | None = "fr") -> Json:
        user: Json = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language:
            user["language_code"] = language
        self.users[user_id] = user
        self.chats[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def group(self, title: str, chat_id: int, *, supergroup: bool = False) -> Json:
        chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        self.chats[chat_id] = chat
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def push(self, update: Json) -> int:
        """Queue an update for the bot; returns its id."""
        update_id = update.setdefault("update_id", next(self._update_ids))
        self.pushed[update_id] = update
        self._updates.append(update)
        self._updates.sort(key=lambda u: int(u["update_id"]))
        arrival, self._arrival = self._arrival, asyncio.Event()
        arrival.set()
        return int(update_id)

    def redeliver(self, update_id: int) -> int:
        """Deliver an update again, as Telegram does when its receipt was not confirmed."""
        return self.push(self.pushed[update_id])

    def message(self, user: Json, chat: Json, text: str, *, reply_to: Sent | None = None) -> int:
        if chat["type"] == "private":
            self.started.add(user["id"])
        sent = Sent(chat["id"], self._next_message_id(chat["id"]), text, sender=user)
        self.messages.setdefault(chat["id"], []).append(sent)
        body = self.message_json(sent)
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        if reply_to is not None:
            body["reply_to_message"] = self.message_json(reply_to)
        return self.push({"message": body})

    def document(
        self, user: Json, chat: Json, filename: str, content: bytes, *, caption: str = ""
    ) -> int:
        """A person sends a file (a document), with an optional caption."""
        if chat["type"] == "private":
            self.started.add(user["id"])
        sent = Sent(chat["id"], self._next_message_id(chat["id"]), caption, sender=user)
        self.messages.setdefault(chat["id"], []).append(sent)
        file_id = f"doc{len(self.uploads) + 1}"
        self.uploads[file_id] = (f"documents/{file_id}_{filename}", content)
        body = self.message_json(sent)
        del body["text"]
        body["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": "text/csv",
            "file_size": len(content),
        }
        if caption:
            body["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split()[0])
                body["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push({"message": body})

    def press(self, user: Json, message: Sent, data: str) -> tuple[int, str]:
        """A tap on a button of `message`; returns the update id and the query id."""
        query_id = f"q{next(self._query_ids)}"
        self._queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{message.chat_id}",
            "data": data,
            "message": self.message_json(message),
        }
        return self.push({"callback_query": query}), query_id

    def bot_added(self, chat: Json, by: Json) -> int:
        return self.push({"my_chat_member": self._membership(chat, by, "left", "member")})

    def block(self, user: Json, *, tell_the_bot: bool = False) -> int | None:
        self.blocked.add(user["id"])
        if not tell_the_bot:
            return None
        chat = self.chats[user["id"]]
        return self.push({"my_chat_member": self._membership(chat, user, "member", "kicked")})

    def _membership(self, chat: Json, by: Json, old: str, new: str) -> Json:
        def member(status: str) -> Json:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": BOT_USER, **extra}

        return {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    def member_joined(self, chat: Json, user: Json) -> int:
        body = self.message_json(
            Sent(chat["id"], self._next_message_id(chat["id"]), "", sender=user)
        )
        del body["text"]
        body["new_chat_members"] = [user]
        return self.push({"message": body})

    def migrate(self, old: Json, new_chat_id: int, by: Json) -> tuple[Json, list[int]]:
        """The group becomes a supergroup: Telegram tells the bot in both chats."""
        new = self.group(old["title"], new_chat_id, supergroup=True)
        self.migrated[old["id"]] = new_chat_id
        self.admins[new_chat_id] = list(self.admins.get(old["id"], []))
        ids = []
        for chat, key, value in (
            (old, "migrate_to_chat_id", new_chat_id),
            (new, "migrate_from_chat_id", old["id"]),
        ):
            body = self.message_json(
                Sent(chat["id"], self._next_message_id(chat["id"]), "", sender=by)
            )
            del body["text"]
            body[key] = value
            ids.append(self.push({"message": body}))
        return new, ids

    def message_json(self, sent: Sent) -> Json:
        body: Json = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": self.chats[sent.chat_id],
            "from": sent.sender,
            "text": sent.text,
        }
        if sent.keyboard:
            body["reply_markup"] = {"inline_keyboard": sent.keyboard}
        return body

    # --- reading what happened ------------------------------------------------------------

    @property
    def unconfirmed(self) -> list[int]:
        """The updates the bot has not confirmed yet (by a later `getUpdates` offset): Telegram
        would deliver them again."""
        return [int(u["update_id"]) for u in self._updates]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def visible(self, chat_id: int) -> list[Sent]:
        """The bot's messages in a chat, as its members see them now."""
        return [m for m in self.messages.get(chat_id, []) if m.sender is BOT_USER and not m.deleted]

    # --- the Bot API ------------------------------------------------------------------------

    def _get_me(self, params: Json, files: Files) -> Json:
        return BOT_USER

    async def _get_updates(self, params: Json, files: Files) -> list[Json]:
        offset = int(params.get("offset") or 0)
        if offset > 0:  # confirms every update before it
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            arrival = self._arrival
            if self._updates or self._closing or time.monotonic() >= deadline:
                return self._updates[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrival.wait(), deadline - time.monotonic())

    def _set_webhook(self, params: Json, files: Files) -> bool:
        self.webhook = params
        return True

    def _chat(self, chat_id: Any) -> Json:
        chat_id = int(chat_id)
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat["type"] == "private" and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat["type"] == "private" and chat_id not in self.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _shown(self, params: Json, key: str, limit: int) -> str:
        markup = str(params.get(key, ""))
        text = parse_html(markup) if params.get("parse_mode") == "HTML" else markup
        if key == "text" and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > limit:
            raise ApiError(400, f"Bad Request: message {key} is too long")
        return text

    def _keyboard(self, params: Json) -> list[list[Json]]:
        markup = params.get("reply_markup") or {}
        rows: list[list[Json]] = markup.get("inline_keyboard", [])
        for row in rows:
            for button in row:
                data = button.get("callback_data", "")
                if not button.get("text") or not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return rows

    def _post(self, chat_id: int, text: str, html: str, params: Json) -> Sent:
        sent = Sent(chat_id, self._next_message_id(chat_id), text, html, self._keyboard(params))
        self.messages.setdefault(chat_id, []).append(sent)
        return sent

    def _send_message(self, params: Json, files: Files) -> Json:
        chat = self._chat(params["chat_id"])
        text = self._shown(params, "text", 4096)
        return self.message_json(self._post(chat["id"], text, params["text"], params))

    def _find(self, params: Json) -> Sent:
        chat = self._chat(params["chat_id"])
        for sent in self.messages.get(chat["id"], []):
            if sent.message_id == int(params["message_id"]) and not sent.deleted:
                return sent
        raise ApiError(400, "Bad Request: message to edit not found")

    def _edited(self, sent: Sent, text: str, keyboard: list[list[Json]]) -> Json:
        if (text, keyboard) == (sent.text, sent.keyboard):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        sent.text, sent.keyboard = text, keyboard
        sent.edits += 1
        return self.message_json(sent)

    def _edit_text(self, params: Json, files: Files) -> Json:
        sent = self._find(params)
        text = self._shown(params, "text", 4096)
        sent.html = params["text"]
        return self._edited(sent, text, self._keyboard(params))

    def _edit_markup(self, params: Json, files: Files) -> Json:
        sent = self._find(params)
        return self._edited(sent, sent.text, self._keyboard(params))

    def _answer(self, params: Json, files: Files) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id not in self._queries or query_id in self.answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query id is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.answers[query_id] = params
        return True

    def _set_commands(self, params: Json, files: Files) -> bool:
        commands = params["commands"]
        for command in commands:
            if (
                not _COMMAND.match(command["command"])
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope") or {"type": "default"}
        self.commands[(scope["type"], params.get("language_code"))] = commands
        return True

    def _get_admins(self, params: Json, files: Files) -> list[Json]:
        chat = self._chat(params["chat_id"])
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        flags: tuple[str, ...] = (
            "can_be_edited",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
        )
        flags += ("can_restrict_members", "can_promote_members", "can_change_info")
        flags += ("can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories")
        members = []
        for index, user_id in enumerate(self.admins.get(chat["id"], [])):
            if index == 0:
                members.append(
                    {"status": "creator", "user": self.users[user_id], "is_anonymous": False}
                )
            else:
                rights = dict.fromkeys(flags, False) | {"is_anonymous": False}
                members.append({"status": "administrator", "user": self.users[user_id], **rights})
        return members

    def _upload(self, params: Json, files: Files, key: str) -> tuple[Sent, tuple[str, bytes]]:
        chat = self._chat(params["chat_id"])
        value = str(params.get(key, ""))
        upload = files.get(value.removeprefix("attach://")) or files.get(key)
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        caption = self._shown(params, "caption", 1024) if params.get("caption") else ""
        sent = self._post(chat["id"], caption, str(params.get("caption", "")), params)
        sent.file = upload
        return sent, upload

    def _send_photo(self, params: Json, files: Files) -> Json:
        sent, (_name, content) = self._upload(params, files, "photo")
        body = self.message_json(sent)
        body.pop("text")
        body.update(caption=sent.text, photo=[_file_json(content) | {"width": 1, "height": 1}])
        return body

    def _get_file(self, params: Json, files: Files) -> Json:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.uploads:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.uploads[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def _send_document(self, params: Json, files: Files) -> Json:
        sent, (name, content) = self._upload(params, files, "document")
        body = self.message_json(sent)
        body.pop("text")
        body.update(caption=sent.text, document=_file_json(content) | {"file_name": name})
        return body


def _file_json(content: bytes) -> Json:
    return {
        "file_id": f"f{len(content)}",
        "file_unique_id": f"u{len(content)}",
        "file_size": len(content),
    }
