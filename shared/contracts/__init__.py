"""Request/reply models that more than one service uses (the RPC contract).

Verbs live on `samen.rpc.<service>.<verb>`; each module here holds one service's public verbs.
"""
