"""File adapters for .xlsx workbooks: safe reading, defined names, report and tally read/write, template."""
