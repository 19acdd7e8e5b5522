"""What every stage shares.

Errors, reading and writing files, ids and credit codes, input columns, grading schemes, working
days, worker processes, progress lines and the official categories.
"""
