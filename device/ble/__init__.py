"""Bluetooth LE sensors: pure GATT decoders, derived rates, and the bleak-based sensor manager.

Only `device.ble.manager` imports bleak; the decoders stay pure so they run (and are fuzzed)
anywhere.
"""
