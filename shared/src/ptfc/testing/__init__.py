"""Test harness: real NATS JetStream and a real MongoDB server, started once per test session."""
