"""The use cases of rolloutviz: one keyword-only, transactional function per action.

Views, management commands, consumers and tests all call these; none of them touch the
models or the simulator directly for a state change.
"""
