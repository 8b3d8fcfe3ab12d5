"""Re-validating the register's products with the same engine as `conformance run`: one product per call
(`job.revalidate_product`, what a queue's task will call), and a local pool of workers (`pool`)."""
