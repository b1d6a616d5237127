from finalstage.policy.cst import *  # noqa: F401,F403 - TEMP until the split branch lands
from finalstage.policy.cst import CstResult, CstConfig  # noqa: F401
