"""What people read: task table, ``plan.xlsx``, field workbooks, results read back, disclosure (公示)."""
