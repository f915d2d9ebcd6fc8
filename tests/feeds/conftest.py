"""Feed tests: real websocket servers on 127.0.0.1; nothing here is mocked."""
