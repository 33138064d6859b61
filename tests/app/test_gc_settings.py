"""While the app serves, full collections are rarer (``FULL_COLLECTION_EVERY``) and start-up's
heap is frozen; both are given back when it stops."""

from __future__ import annotations

import gc

from app.factory import FULL_COLLECTION_EVERY, create_app
from app.settings import Settings


async def test_serving_spaces_full_collections_and_restores_them(settings: Settings) -> None:
    before = gc.get_threshold()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == (before[0], before[1], FULL_COLLECTION_EVERY)
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
