"""Websocket trace feeds: the Pulsedeck trace protocol, Pulsoid and HypeRate, client and server.

Nothing here touches the database: the client yields samples, `app.feeds` records them.
"""
