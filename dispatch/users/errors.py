"""Authentication and authorisation failures."""

from dispatch.errors import Forbidden, Unauthenticated


class BadCredentials(Unauthenticated):
    default_code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("Nama pengguna atau kata sandi salah.", "Wrong username or password.")


class TokenInvalid(Unauthenticated):
    default_code = "token_invalid"

    def __init__(self, why_id: str = "Token tidak sah.", why_en: str = "Invalid token.") -> None:
        super().__init__(why_id, why_en)


class TokenExpired(Unauthenticated):
    default_code = "token_expired"

    def __init__(self) -> None:
        super().__init__("Sesi telah berakhir, silakan masuk lagi.", "The session has expired, log in again.")


class TokenRevoked(Unauthenticated):
    default_code = "token_revoked"

    def __init__(self) -> None:
        super().__init__("Token telah dicabut.", "The token has been revoked.")


class RoleNotAllowed(Forbidden):
    default_code = "role_not_allowed"

    def __init__(self) -> None:
        super().__init__("Peran Anda tidak diizinkan untuk tindakan ini.", "Your role may not do this.")
