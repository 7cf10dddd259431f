"""localhost.localstack.cloud and its subdomains resolve to 127.0.0.1 in every Python process
started with this folder on PYTHONPATH (the AWS CLI, boto3 scripts), as public DNS resolves
them; this machine is offline, so the name itself does not resolve. Only the address lookup
changes: clients still connect by the name, send it as SNI and check the certificate
against it."""
import socket

_NAME = "localhost.localstack.cloud"
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and (host.lower() == _NAME or host.lower().endswith("." + _NAME)):
        host = "127.0.0.1"
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
