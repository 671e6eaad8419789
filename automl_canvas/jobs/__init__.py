"""Jobs: the queue with leases and fencing, the job context, quotas, queue positions and the periodic loop."""
