"""Imports every module that defines tables, so `Base.metadata` knows them all.

Alembic's env.py and the tests import this. Each area adds one line for its models module.
"""

from bot.delivery import models as _delivery  # noqa: F401  delivery attempts, windows
from bot.media import models as _media  # noqa: F401  copies of residents' media
from bot.outbox import models as _outbox  # noqa: F401  outbox
from bot.slips import models as _slips  # noqa: F401  slips, events, numbering, clusters
from bot.staff import models as _staff  # noqa: F401  staff users, API tokens
from bot.stats import models as _stats  # noqa: F401  statistics indexes on the slip tables
from bot.storage import drafts as _drafts  # noqa: F401  conversation drafts
from bot.storage import models  # noqa: F401  residents, messages
from bot.storage.models import Base

__all__ = ["Base"]
