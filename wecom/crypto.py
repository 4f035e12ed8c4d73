"""WeCom's callback encryption (加解密方案说明, documentation path 90968), with the ``cryptography`` package.

    msg_signature = sha1(sorted([token, timestamp, nonce, msg_encrypt]) joined), lower-case hex
    AESKey = base64decode(EncodingAESKey + "=")            43 characters → 32 bytes
    AES-256-CBC, IV = AESKey[:16], PKCS#7 padding to a multiple of 32 bytes
    plain = 16 random bytes + len(msg) as 4 bytes big-endian + msg + receiveid

The signature is checked before anything is decrypted, and the receive id (the CorpID of an
internal application) after. Every failure is ``CallbackRefused`` with a reason for the log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom pads to 32 bytes (PKCS#7 with k = 32), not AES's 16


class CallbackRefused(Exception):
    """A callback that is not WeCom's (bad signature, wrong receive id, undecryptable, replayed, too old)."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey 必须是 43 个字符")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey 不是合法的 Base64") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey 解码后应为 32 字节")
    return key


class MessageCrypt:
    """One application's callback settings: Token, EncodingAESKey and the receive id (CorpID)."""

    def __init__(self, *, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token or not receive_id:
            raise ValueError("回调 Token 与 CorpID 不能为空")
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.receive_id = receive_id

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise CallbackRefused("签名不正确")

    def decrypt(self, encrypted: str) -> str:
        """The message inside ``encrypted`` (call ``verify`` first); refuses another receive id."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise CallbackRefused("密文不是合法的 Base64") from exc
        if not data or len(data) % 16:
            raise CallbackRefused("密文长度不正确")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        pad = padded[-1]
        if not 1 <= pad <= BLOCK or padded[-pad:] != bytes([pad]) * pad:
            raise CallbackRefused("填充不正确")
        plain = padded[:-pad]
        if len(plain) < 20:
            raise CallbackRefused("明文过短")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20:20 + length], plain[20 + length:]
        if len(message) != length:
            raise CallbackRefused("明文长度不正确")
        if receive_id.decode("utf-8", errors="replace") != self.receive_id:
            raise CallbackRefused("receiveid 与本企业 CorpID 不符")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CallbackRefused("明文不是 UTF-8") from exc

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        raw = message.encode("utf-8")
        plain = (random_prefix or os.urandom(16)) + struct.pack(">I", len(raw)) + raw + self.receive_id.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")
