"""Many tables at once: one shared call budget, operation slots, the account's limits."""
