"""The forces the desk commands: the unit registry, where units are, and which to send (issue 19)."""
