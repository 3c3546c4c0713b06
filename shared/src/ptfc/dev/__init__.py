"""What only runs on a developer's machine or in tests: embedded NATS and MongoDB servers
(`servers`), the local mailbox (`mailbox`) and `ptfc up` (`up`). A service in a container never
imports this package (`ptfc serve` does not), and SecantusDB (GPL) never enters an image."""
