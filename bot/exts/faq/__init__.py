"""/faq show, list, and the moderators' commands: add, edit, retire, alias add|remove, history, revert,
unanswered, stats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.faq import _views
from bot.exts.faq._cog import FaqCog

if TYPE_CHECKING:
    from bot.client import ConnectsBot


async def setup(bot: ConnectsBot) -> None:
    _views.register(bot)
    await bot.add_cog(FaqCog(bot))


async def teardown(bot: ConnectsBot) -> None:
    bot.remove_dynamic_items(_views.PageButton, _views.UnansweredButton, _views.AliasTargetSelect)
