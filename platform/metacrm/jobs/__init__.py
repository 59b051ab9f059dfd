"""Scheduled background jobs: periodic tasks compiled from the definitions (the pool's
return rules), coordinated across processes through the ``mc_job_slots`` table."""
