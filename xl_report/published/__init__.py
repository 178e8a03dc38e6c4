"""Published reports: import them back into ReportData (``importer``) and audit them."""
