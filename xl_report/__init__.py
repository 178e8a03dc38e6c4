"""xl_report: 政府信息公开工作年度报告 from the staff tally sheets — fill, check, freeze, send."""
__version__ = "0.1.0"
