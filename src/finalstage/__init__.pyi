"""Types of the public API for type checkers (the runtime module loads names on first use)."""

from finalstage._version import __version__ as __version__
from finalstage.analysis.categories import Category as Category
from finalstage.analysis.model import Analysis as Analysis
from finalstage.analysis.packages.model import Package as Package
from finalstage.api.check import check as check
from finalstage.api.diff import diff as diff
from finalstage.api.fix import fix as fix
from finalstage.api.inspect import inspect as inspect
from finalstage.api.inspect import ls as ls
from finalstage.api.lint import lint as lint
from finalstage.api.scan import scan as scan
from finalstage.api.source import open_image as open_image
from finalstage.api.slim import slim as slim
from finalstage.errors import FinalstageError as FinalstageError
from finalstage.facts import Facts as Facts
from finalstage.findings import Finding as Finding
from finalstage.findings import Location as Location
from finalstage.findings import Report as Report
from finalstage.findings import RuleOutcome as RuleOutcome
from finalstage.findings import Severity as Severity
from finalstage.image.image import Image as Image
from finalstage.report import render as render
from finalstage.settings import Settings as Settings
from finalstage.settings import load_settings as load_settings

__all__: list[str]
