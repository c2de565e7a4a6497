"""A fake Discord REST API and gateway on 127.0.0.1, for driving the real discord.py in tests.

REST: login, application info, `/gateway/bot`, command sync, interaction callbacks (modals
included) and webhook follow-ups, channel messages with embeds (sent, edited, deleted by
tests), private channels, and the files people attach to slash commands (served from
`/attachments/`). Gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, and
dispatches the tests inject (`INTERACTION_CREATE`, `MESSAGE_CREATE`). Every call is recorded; an unknown route
answers 404 and is listed in `unknown`; an interaction acknowledged more than 3 seconds
after it was dispatched gets "Unknown interaction" (10062), as on Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "APP_ID",
    "BOT_ID",
    "CHANNEL_ID",
    "COORDINATION_ROLE",
    "DIRECTION_ROLE",
    "GUILD_ID",
    "TOKEN",
    "Call",
    "FakeDiscord",
    "Sent",
]

Json = dict[str, Any]
APP_ID = 4242
BOT_ID = 4242
GUILD_ID = 7000
CHANNEL_ID = 7001
COORDINATION_ROLE = 7100
DIRECTION_ROLE = 7200
TOKEN = "FakeDiscordBotToken.ForTests.Only_0123456789"
ACK_DEADLINE = 3.0
MANAGE_GUILD = 1 << 5
BASIC = (1 << 10) | (1 << 11) | (1 << 16)  # view channel, send messages, read history
BOT_USER: Json = {
    "id": str(BOT_ID),
    "username": "Mainforte",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
_IDS = itertools.count(100_000)
_TIMESTAMP = "2026-01-01T00:00:00+00:00"


@dataclass
class Call:
    method: str
    path: str
    body: Json
    at: float
    status: int = 200


@dataclass
class Sent:
    """A message the bot posted, as people see it (edits applied)."""

    id: int
    channel_id: int
    content: str
    components: list[Json]
    ephemeral_for: int | None = None  # a follow-up only that person sees
    reference: int | None = None
    edits: int = 0
    deleted: bool = False
    allowed_mentions: Json | None = None
    files: int = 0
    embeds: list[Json] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """What people read: the text, then each embed's title, fields and description."""
        lines = [self.content] if self.content else []
        for embed in self.embeds:
            lines += [str(embed.get("title", ""))]
            lines += [f"{f['name']} : {f['value']}" for f in embed.get("fields", [])]
            lines += [str(embed["description"])] if embed.get("description") else []
        return "\n".join(lines)

    def field(self, name: str) -> str | None:
        """The value of the embed field `name`."""
        found = [f for e in self.embeds for f in e.get("fields", []) if f["name"] == name]
        return str(found[0]["value"]) if found else None

    @property
    def buttons(self) -> list[Json]:
        return [b for row in self.components for b in row.get("components", [])]

    @property
    def labels(self) -> list[str]:
        return [str(b["label"]) for b in self.buttons]

    def find_button(self, label: str) -> Json | None:
        return next((b for b in self.buttons if label in str(b["label"])), None)


@dataclass
class _Interaction:
    dispatched_at: float
    token: str
    user_id: int
    acked: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _user(user_id: int, name: str) -> Json:
    return {
        "id": str(user_id),
        "username": name.lower(),
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
    }


class FakeDiscord:
    """The fake server; `base_url` and `gateway_url` go in the bot's settings."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.unknown: list[str] = []
        self.messages: dict[int, Sent] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> channel id
        self.closed_dms: set[int] = set()
        self.admins: set[int] = set()
        self.interactions: dict[int, _Interaction] = {}
        self.commands: list[Json] = []
        self.modals: dict[int, Json] = {}  # interaction id -> the modal shown in answer
        self.files: dict[str, bytes] = {}  # attachment path -> content
        self.identified = 0
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- server ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{path:.*}", self._attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    def calls_of(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # --- gateway -----------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                self.identified += 1
                await self._dispatch("READY", self._ready())
                await self._dispatch("GUILD_CREATE", self._guild())
            else:
                raise AssertionError(f"gateway op the fake does not know: {payload['op']}")
        return ws

    async def _dispatch(self, name: str, data: Json) -> None:
        assert self._ws is not None and not self._ws.closed, "the bot is not connected"
        await self._ws.send_json({"op": 0, "t": name, "s": next(self._seq), "d": data})

    def _ready(self) -> Json:
        return {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "shard": [0, 1],
        }

    def _guild(self) -> Json:
        return {
            "id": str(GUILD_ID),
            "name": "Banque alimentaire",
            "owner_id": "1",
            "roles": [
                {
                    "id": str(GUILD_ID),
                    "name": "@everyone",
                    "permissions": str(BASIC),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": str(COORDINATION_ROLE),
                    "name": "Coordination",
                    "permissions": str(BASIC),
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": str(DIRECTION_ROLE),
                    "name": "Direction",
                    "permissions": str(BASIC),
                    "position": 2,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
            ],
            "channels": [
                {
                    "id": str(CHANNEL_ID),
                    "type": 0,
                    "name": "missions",
                    "position": 0,
                    "permission_overwrites": [],
                    "guild_id": str(GUILD_ID),
                }
            ],
            "members": [],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 10,
            "large": False,
            "unavailable": False,
            "joined_at": _TIMESTAMP,
        }

    # --- what people do ------------------------------------------------------------

    def _member(self, user: Json, roles: list[str]) -> Json:
        permissions = BASIC | (MANAGE_GUILD if int(user["id"]) in self.admins else 0)
        return {
            "user": user,
            "roles": roles,
            "joined_at": _TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        }

    def _where(self, user: Json, channel_id: int | None, roles: list[str]) -> Json:
        """The context fields of an interaction: a server channel, or the private chat."""
        if channel_id is None:
            dm = self._dm_of(int(user["id"]))
            return {"channel_id": str(dm), "channel": {"id": str(dm), "type": 1}, "user": user}
        return {
            "guild_id": str(GUILD_ID),
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": f"channel-{channel_id}",  # Discord sends the partial channel's name
                "position": 0,
                "permission_overwrites": [],
            },
            "member": self._member(user, roles),
        }

    async def _interact(self, kind: int, data: Json, extra: Json, age: float = 0.0) -> int:
        """Dispatch an interaction; `age` pretends it was created that many seconds ago."""
        interaction_id = next(_IDS)
        token = f"itoken{interaction_id}"
        user = extra["user"] if "user" in extra else extra["member"]["user"]
        created = time.monotonic() - age
        self.interactions[interaction_id] = _Interaction(created, token, int(user["id"]))
        payload = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "fr",
            "app_permissions": str(BASIC),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "attachment_size_limit": 8_000_000,
            "context": 1 if "user" in extra else 0,
            **extra,
        }
        await self._dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    def _check_options(self, name: str, values: list[Json]) -> None:
        """Discord only sends a synced command with the options it declares."""
        synced = {c["name"]: c for c in self.commands}
        assert name in synced, f"/{name} was not synced"
        declared = {o["name"] for o in synced[name].get("options", [])}
        sent = {v["name"] for v in values}
        assert sent <= declared, f"/{name} has no option {sorted(sent - declared)}"

    async def slash(
        self,
        user: Json,
        name: str,
        text: str = "",
        *,
        options: dict[str, Any] | None = None,
        file: tuple[str, bytes] | None = None,
        channel_id: int | None = CHANNEL_ID,
        roles: list[str] | None = None,
        age: float = 0.0,
    ) -> int:
        """`/name` typed in a server channel (or the private chat if `channel_id` is None), with
        the free `text` option or typed `options`, and a `file` (name, content) attached."""
        values: list[Json] = [{"name": "text", "type": 3, "value": text}] if text else []
        for key, value in (options or {}).items():
            kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
            values.append({"name": key, "type": kind, "value": value})
        self._check_options(name, values + ([{"name": "file"}] if file is not None else []))
        data: Json = {"id": "1", "name": name, "type": 1, "options": values}
        if file is not None:
            attachment_id = str(next(_IDS))
            filename, content = file
            path = f"{attachment_id}/{filename}"
            self.files[path] = content
            values.append({"name": "file", "type": 11, "value": attachment_id})
            data["resolved"] = {
                "attachments": {
                    attachment_id: {
                        "id": attachment_id,
                        "filename": filename,
                        "size": len(content),
                        "url": f"http://127.0.0.1:{self.port}/attachments/{path}",
                        "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{path}",
                    }
                }
            }
        return await self._interact(2, data, self._where(user, channel_id, roles or []), age)

    async def submit(
        self,
        user: Json,
        custom_id: str,
        values: dict[str, str],
        *,
        channel_id: int | None = CHANNEL_ID,
        roles: list[str] | None = None,
    ) -> int:
        """The modal `custom_id` filled with `values` (field custom id -> text) and sent."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        return await self._interact(5, data, self._where(user, channel_id, roles or []))

    async def autocomplete(self, user: Json, name: str, typed: str, option: str = "mission") -> int:
        """`/name` being typed in the server channel, the integer `option` focused."""
        focused = {"name": option, "type": 4, "value": typed, "focused": True}
        data = {"id": "1", "name": name, "type": 1, "options": [focused]}
        return await self._interact(4, data, self._where(user, CHANNEL_ID, []))

    async def click(self, user: Json, message: Sent, custom_id: str) -> int:
        """A click on a button of `message`; returns the interaction id."""
        in_dm = message.channel_id in self.dm_channels.values()
        data = {"custom_id": custom_id, "component_type": 2}
        where = self._where(user, None if in_dm else message.channel_id, [])
        where["message"] = self._message_json(message)
        return await self._interact(3, data, where)

    async def post(
        self,
        user: Json,
        channel_id: int,
        content: str,
        reply_to: Sent | None,
        *,
        mention: bool = False,
    ) -> int:
        """A person's message; a reply to the bot mentions it (so its content arrives), as does
        an @mention (`mention`: `<@bot>` put before the text)."""
        message_id = next(_IDS)
        if mention:
            content = f"<@{BOT_ID}> {content}"
        data: Json = {
            **self._message_base(message_id, channel_id, user, content),
            "mentions": [BOT_USER] if reply_to or mention else [],
        }
        if reply_to is not None:
            data["type"] = 19
            data["message_reference"] = {
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "guild_id": str(GUILD_ID),
            }
            data["referenced_message"] = self._message_json(reply_to)
        if channel_id not in self.dm_channels.values():
            data["guild_id"] = str(GUILD_ID)
            member = self._member(user, [])
            del member["user"]
            data["member"] = member
        await self._dispatch("MESSAGE_CREATE", data)
        return message_id

    def user(self, user_id: int, name: str) -> Json:
        return _user(user_id, name)

    def _dm_of(self, user_id: int) -> int:
        return self.dm_channels.setdefault(user_id, 90_000 + user_id)

    def _message_base(self, message_id: int, channel_id: int, author: Json, content: str) -> Json:
        return {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }

    def _message_json(self, sent: Sent) -> Json:
        data = self._message_base(sent.id, sent.channel_id, BOT_USER, sent.content)
        data["components"] = sent.components
        data["embeds"] = sent.embeds
        if sent.ephemeral_for is not None:
            data["flags"] = 64
        return data

    def visible(self, channel_id: int, user_id: int | None = None) -> list[Sent]:
        """What the channel shows (to `user_id`, ephemeral follow-ups included)."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id
            and not m.deleted
            and (m.ephemeral_for is None or m.ephemeral_for == user_id)
        ]

    def dm(self, user_id: int) -> list[Sent]:
        return self.visible(self._dm_of(user_id)) if user_id in self.dm_channels else []

    def ephemeral(self, user_id: int) -> list[Sent]:
        return [m for m in self.messages.values() if m.ephemeral_for == user_id]

    # --- REST ----------------------------------------------------------------------

    async def _body(self, request: web.Request) -> tuple[Json, int]:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            body: Json = {}
            files = 0
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    await part.read()
                    files += 1
            return body, files
        if request.can_read_body:
            return await request.json(), 0
        return {}, 0

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body, files = await self._body(request)
        call = Call(request.method, path, body, time.monotonic())
        self.calls.append(call)
        try:
            if path == "/users/@me" and request.headers.get("Authorization") != f"Bot {TOKEN}":
                raise _ApiError(401, 0, "401: Unauthorized")
            answer = self._route(request.method, path, body, files)
        except _ApiError as exc:
            call.status = exc.status
            error = {"code": exc.code, "message": exc.message}
            return _json(error, exc.status)
        if answer is None:
            call.status = 204
            return web.Response(status=204)
        return _json(answer)

    def _route(self, method: str, path: str, body: Json, files: int) -> Any:
        route = f"{method} {path}"
        if route == "GET /users/@me":
            return BOT_USER
        if route == "GET /oauth2/applications/@me":
            return {
                "id": str(APP_ID),
                "name": "Mainforte",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": _user(1, "Owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        if route == "GET /gateway/bot":
            return {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if match := re.fullmatch(rf"PUT /applications/{APP_ID}(/guilds/\d+)?/commands", route):
            commands: list[Json] = body  # type: ignore[assignment]  # a JSON list here
            self.commands = [{**c, "id": str(next(_IDS))} for c in commands]
            return self.commands
        if route == "POST /users/@me/channels":
            user_id = int(body["recipient_id"])
            return {"id": str(self._dm_of(user_id)), "type": 1, "recipients": [_user(user_id, "x")]}
        if match := re.fullmatch(r"POST /channels/(\d+)/messages", route):
            return self._create(int(match.group(1)), body, files)
        if match := re.fullmatch(r"PATCH /channels/(\d+)/messages/(\d+)", route):
            return self._edit(int(match.group(2)), body)
        if match := re.fullmatch(r"POST /interactions/(\d+)/([^/]+)/callback", route):
            return self._callback(int(match.group(1)), body)
        if match := re.fullmatch(rf"POST /webhooks/{APP_ID}/([^/]+)", route):
            return self._follow_up(match.group(1), body)
        if re.fullmatch(rf"DELETE /webhooks/{APP_ID}/([^/]+)/messages/@original", route):
            return None
        if match := re.fullmatch(rf"PATCH /webhooks/{APP_ID}/([^/]+)/messages/@original", route):
            return self._follow_up(match.group(1), {**body, "flags": 64})
        self.unknown.append(route)
        raise _ApiError(404, 0, f"the fake does not know {route}")

    def _create(self, channel_id: int, body: Json, files: int) -> Json:
        owner = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if owner is not None and owner in self.closed_dms:
            raise _ApiError(403, 50007, "Cannot send messages to this user")
        content = str(body.get("content") or "")
        if len(content) > 2000:
            raise _ApiError(400, 50035, "Invalid Form Body: content over 2000")
        self._check_components(body.get("components") or [])
        self._check_embeds(body.get("embeds") or [])
        reference = body.get("message_reference")
        sent = Sent(
            next(_IDS),
            channel_id,
            content,
            body.get("components") or [],
            reference=int(reference["message_id"]) if reference else None,
            allowed_mentions=body.get("allowed_mentions"),
            files=files,
            embeds=body.get("embeds") or [],
        )
        self.messages[sent.id] = sent
        return self._message_json(sent)

    @staticmethod
    def _check_components(rows: list[Json]) -> None:
        if len(rows) > 5 or any(len(r.get("components", [])) > 5 for r in rows):
            raise _ApiError(400, 50035, "Invalid Form Body: too many components")
        for row in rows:
            for button in row.get("components", []):
                if len(button.get("label", "")) > 80 or len(button.get("custom_id", "")) > 100:
                    raise _ApiError(400, 50035, "Invalid Form Body: label or custom_id too long")

    @staticmethod
    def _check_embeds(embeds: list[Json]) -> None:
        for embed in embeds:
            fields = embed.get("fields", [])
            total = len(embed.get("title", "")) + len(embed.get("description", "") or "")
            total += sum(len(f["name"]) + len(f["value"]) for f in fields)
            if (
                len(embed.get("title", "")) > 256
                or len(fields) > 25
                or any(len(f["name"]) > 256 or len(f["value"]) > 1024 for f in fields)
                or total > 6000
            ):
                raise _ApiError(400, 50035, "Invalid Form Body: embed too large")

    def _edit(self, message_id: int, body: Json) -> Json:
        sent = self.messages.get(message_id)
        if sent is None or sent.deleted:
            raise _ApiError(404, 10008, "Unknown Message")
        if "content" in body:
            sent.content = str(body["content"] or "")
        if "components" in body:
            self._check_components(body["components"])
            sent.components = body["components"]
        if "embeds" in body:
            self._check_embeds(body["embeds"])
            sent.embeds = body["embeds"] or []
        sent.edits += 1
        return self._message_json(sent)

    def _callback(self, interaction_id: int, body: Json) -> Json:
        pending = self.interactions.get(interaction_id)
        if pending is None or time.monotonic() - pending.dispatched_at > ACK_DEADLINE:
            raise _ApiError(404, 10062, "Unknown interaction")
        if pending.acked:
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        pending.acked = True
        if body.get("type") == 9:  # a modal
            self.modals[interaction_id] = body["data"]
        return {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
            }
        }

    def _follow_up(self, token: str, body: Json) -> Json:
        pending = next(
            ((i, p) for i, p in self.interactions.items() if p.token == token and p.acked), None
        )
        if pending is None:
            raise _ApiError(404, 10015, "Unknown Webhook")
        user_id = pending[1].user_id
        sent = Sent(
            next(_IDS),
            0,
            str(body.get("content") or ""),
            body.get("components") or [],
            ephemeral_for=user_id if int(body.get("flags", 0)) & 64 else None,
        )
        self.messages[sent.id] = sent
        return self._message_json(sent)

    async def _attachment(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["path"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="text/csv")


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON as Discord sends it: discord.py reads a body as JSON only with exactly this type."""
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
