"""Warninglists: values that must never be listed (docs/warninglists.md).

Published test numbers, service hotlines, role mailboxes and shared networks
would match strangers; the server keeps their stored-hash form under every
accepted salt and refuses (or down-weights) listings that hit one, however
the member hashed them.
"""
