"""Jobs: the queue with leases and fencing, workers and their child processes, lanes and quotas."""
