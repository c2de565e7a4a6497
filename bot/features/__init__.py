"""Feature modules: each registers its commands, buttons and dialogs on the router."""

from __future__ import annotations

from bot.features import general, missions, onboarding, roles, signups
from bot.router import Router

__all__ = ["general", "register_all"]


def register_all(router: Router) -> None:
    general.register(router)
    onboarding.register(router)
    missions.register(router)
    signups.register(router)
    roles.register(router)
