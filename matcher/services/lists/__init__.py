"""Lists in and out: imports, exports, spreadsheets and the figures for funders."""
