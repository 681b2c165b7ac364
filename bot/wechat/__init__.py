"""WeChat: the server-message protocol (signatures, AES, XML) and, later, the API client."""
