"""Mod-log: every knowledge-base change, and what the imports of the knowledge files changed, posted to
CONNECTSBOT_MODLOG_CHANNEL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.modlog._cog import ModLogCog

if TYPE_CHECKING:
    from bot.client import ConnectsBot


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(ModLogCog(bot))
