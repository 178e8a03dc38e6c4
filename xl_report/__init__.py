"""xl_report: 政府信息公开工作年度报告 from the staff tally sheets — fill, check, freeze, send."""
from xl_report.core.version import __version__

__all__ = ["__version__"]
