"""Sources of samples (BLE sensors, websocket feeds, simulators). Knows nothing of Qt or SQL."""
