"""The year's programme (年度抽查工作计划): batches, per-enterprise minimums, caps, status.

One module per job:

- :mod:`~planner.programme.files`: the file names the programme writes;
- :mod:`~planner.programme.periods`: batch dates and batch seeds;
- :mod:`~planner.programme.ledger`: every inspection so far (history, returned results, planned);
- :mod:`~planner.programme.needs`: what each enterprise and class still needs this year;
- :mod:`~planner.programme.select`: a batch's candidates, must-draws and per-class counts;
- :mod:`~planner.programme.tomlfile`: writing a batch's scenario file;
- :mod:`~planner.programme.batch`: ``planner run --batch K`` (a normal, verifiable plan folder);
- :mod:`~planner.programme.annual`: ``planner programme`` (the annual plan and its projection);
- :mod:`~planner.programme.notice`: the annual plan notice (抽查计划公告) workbook;
- :mod:`~planner.programme.status`: ``planner programme --status`` (where the year stands).
"""
