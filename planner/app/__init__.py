"""The top layer: what runs the stages of a plan and reads or writes the plan folder.

``planner run``'s pipeline (:mod:`planner.app.pipeline`), ``planner check`` of a whole folder
(:mod:`planner.app.check_folder`) and ``planner merge`` (:mod:`planner.app.merge`) live here,
above the wings (draw, assign, publish, regrade, programme, simulate), which take typed data
and return typed data. The command line (:mod:`planner.cli`) is the only layer above.
"""
