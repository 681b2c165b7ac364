"""The slip domain: the 民意交办单, its numbering, workflow, deadlines and audit chain."""
