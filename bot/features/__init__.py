"""Feature modules: each registers its commands, buttons and dialogs on the router."""

from __future__ import annotations

from bot.features import (
    agenda,
    exports,
    faq,
    feedback,
    general,
    imports,
    invitations,
    mission_changes,
    missions,
    nudges,
    onboarding,
    pause,
    privacy,
    proposals,
    reminders,
    retention,
    roles,
    series,
    settings,
    signups,
    stats,
    waitlist,
)
from bot.router import Router

__all__ = ["general", "register_all"]


def register_all(router: Router) -> None:
    general.register(router)
    onboarding.register(router)
    missions.register(router)
    mission_changes.register(router)
    series.register(router)
    signups.register(router)
    roles.register(router)
    waitlist.register(router)
    reminders.register(router)
    invitations.register(router)
    proposals.register(router)
    nudges.register(router)
    pause.register(router)
    settings.register(router)
    privacy.register(router)
    retention.register(router)
    stats.register(router)
    feedback.register(router)
    exports.register(router)
    agenda.register(router)
    faq.register(router)
    imports.register(router)
