"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and legacy registration numbers.

An 18-character code is laid out as

====== ===================================================
chars  meaning
====== ===================================================
1      registration authority (登记管理部门代码)
2      entity type (机构类别代码)
3-8    administrative division (登记管理机关行政区划码), digits
9-17   organisation code (主体标识码, GB 11714, with its own check)
18     check character
====== ===================================================

The alphabet is the digits and the upper-case letters without I, O, Z, S, V (31 symbols).
The check character is ``C18 = 31 - (sum(value(Ci) * Wi for i in 1..17) mod 31)``, with
``Wi = 3**(i-1) mod 31`` and 31 written as ``0``.

Legacy 15-digit registration numbers (注册号, GS 15-2006) end in an ISO 7064 MOD 11,10 check digit.

The checks are vectorised with numpy so a directory of millions of codes validates in seconds.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)

# Byte -> alphabet value; -1 for bytes outside the alphabet.
_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _VALUE[ord(_c)] = _i
_VALUE8 = _VALUE.astype(np.int8)
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def check_char(body: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters.

    Parameters
    ----------
    body : str
        The first 17 characters of a code, in the code alphabet.

    Returns
    -------
    str
        The 18th character.

    Raises
    ------
    ValueError
        If ``body`` is not 17 characters of the alphabet.
    """
    if len(body) != 17 or any(c not in ALPHABET for c in body):
        raise ValueError(f"not 17 characters of the credit-code alphabet: {body!r}")
    total = sum(ALPHABET.index(c) * int(w) for c, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Say what is wrong with one unified social credit code, or ``None`` when it is valid.

    Parameters
    ----------
    code : str
        A canonical (upper-case, stripped) code.

    Returns
    -------
    str or None
        A short description of the first rule broken.
    """
    return uscc_problems(np.array([code], dtype=object))[0]


def uscc_problems(codes: np.ndarray) -> list[str | None]:
    """Vectorised :func:`uscc_problem` over an array of canonical codes.

    Parameters
    ----------
    codes : numpy.ndarray
        Object array of strings.

    Returns
    -------
    list of (str or None)
        One entry per code: ``None`` when valid, else the rule broken.
    """
    codes = np.asarray(codes, dtype=object)
    n = len(codes)
    out: list[str | None] = [None] * n
    if n == 0:
        return out
    fast = _all_ascii_of_length_18(codes)
    if fast is not None:
        return _check_matrix(fast, np.arange(n), out)
    lengths = np.fromiter((len(c) for c in codes), dtype=np.int64, count=n)
    ascii_ok = np.fromiter((c.isascii() for c in codes), dtype=bool, count=n)
    ok18 = (lengths == 18) & ascii_ok
    for i in np.flatnonzero(~ok18):
        if lengths[i] != 18:
            out[i] = f"has {lengths[i]} characters, a unified social credit code has 18"
        else:
            out[i] = "contains a character outside the credit-code alphabet"
    idx = np.flatnonzero(ok18)
    if len(idx) == 0:
        return out
    raw = np.frombuffer("".join(codes[idx]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    return _check_matrix(raw, idx, out)


def _all_ascii_of_length_18(codes: np.ndarray) -> np.ndarray | None:
    """Return the codes as an (n, 18) byte matrix when every one is 18 ASCII characters.

    One join and one scan for newlines replace two Python calls per code; None sends the
    caller to the per-code path, which also says what is wrong with each odd one.
    """
    blob = "\n".join(codes)
    if not blob.isascii():
        return None
    raw = np.frombuffer(blob.encode("ascii"), dtype=np.uint8)
    n = len(codes)
    if len(raw) != n * 19 - 1:
        return None
    breaks = np.flatnonzero(raw == ord("\n"))
    if len(breaks) != n - 1 or (n > 1 and not (breaks == np.arange(18, n * 19 - 1, 19)).all()):
        return None
    return np.append(raw, np.uint8(ord("\n"))).reshape(n, 19)[:, :18]


def _check_matrix(raw: np.ndarray, idx: np.ndarray, out: list[str | None]) -> list[str | None]:
    """Check 18-byte codes (rows of ``raw``) whose positions in ``out`` are ``idx``."""
    values = _VALUE8[raw]
    bad_char = (values < 0).any(axis=1)
    division_ok = ((raw[:, 2:8] >= ord("0")) & (raw[:, 2:8] <= ord("9"))).all(axis=1)
    total = np.zeros(len(raw), dtype=np.int64)
    for k in range(17):  # column by column: no (n, 17) int64 temporary
        total += values[:, k].astype(np.int64) * int(WEIGHTS[k])
    expected = (31 - total % 31) % 31
    bad_check = values[:, 17] != expected
    for j in np.flatnonzero(bad_char | ~division_ok | bad_check):
        i = idx[j]
        if bad_char[j]:
            pos = int(np.flatnonzero(values[j] < 0)[0])
            out[i] = (
                f"character {pos + 1} ({chr(raw[j, pos])!r}) is outside the credit-code alphabet "
                "(digits and A-Y without I, O, S, V, Z)"
            )
        elif not division_ok[j]:
            out[i] = "characters 3-8 (administrative division code) must be digits"
        else:
            out[i] = (
                f"check character is {chr(raw[j, 17])!r}, GB 32100-2015 gives "
                f"{ALPHABET[expected[j]]!r}"
            )
    return out


def legacy_check_digit(body: str) -> str:
    """Return the ISO 7064 MOD 11,10 check digit of a 14-digit registration-number body.

    Parameters
    ----------
    body : str
        The first 14 digits of a legacy 15-digit registration number (注册号).

    Returns
    -------
    str
        The 15th digit.
    """
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def is_legacy_registration_number(code: str) -> bool:
    """Tell whether ``code`` is a valid legacy 15-digit registration number.

    Parameters
    ----------
    code : str
        A canonical code.

    Returns
    -------
    bool
        True when it is 15 digits with a correct MOD 11,10 check digit.
    """
    return (
        len(code) == 15
        and code.isascii()
        and code.isdigit()
        and legacy_check_digit(code[:14]) == code[14]
    )


def generate(
    rng: np.random.Generator,
    n: int,
    division_codes: np.ndarray | None = None,
    serials: np.ndarray | None = None,
) -> np.ndarray:
    """Generate ``n`` distinct valid codes for synthetic directories.

    Registration authority ``9`` (market regulation) and entity type ``1`` (enterprise) or
    ``2`` (individual business), a six-digit division code, an organisation code with its
    GB 11714 check character, and the GB 32100-2015 check character.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        How many codes.
    division_codes : numpy.ndarray, optional
        Six-digit division code per code (strings); default ``440300`` (Shenzhen).
    serials : numpy.ndarray, optional
        Distinct integers below 10**8 to use as the organisation code bodies (a directory
        generated chunk by chunk numbers its rows itself, so that chunks never repeat a
        code); drawn at random without replacement when omitted.

    Returns
    -------
    numpy.ndarray
        Object array of ``n`` distinct 18-character codes.
    """
    if division_codes is None:
        division_codes = np.full(n, "440300", dtype=object)
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, 0] = ord("9")
    out[:, 1] = np.where(rng.random(n) < 0.8, ord("1"), ord("2"))
    out[:, 2:8] = np.frombuffer(
        "".join(division_codes).encode("ascii"), dtype=np.uint8
    ).reshape(n, 6)
    # Organisation code body: 8 digits, distinct by construction (sampling without replacement;
    # Generator.choice does not materialise the 10**8 population, which takes seconds).
    serial = rng.choice(10**8, size=n, replace=False) if serials is None else np.asarray(serials)
    body = np.empty((n, 8), dtype=np.int64)
    rest = serial.copy()
    for k in range(7, -1, -1):
        body[:, k] = rest % 10
        rest //= 10
    out[:, 8:16] = digits[body]
    c9 = (11 - (body * ORG_WEIGHTS).sum(axis=1) % 11) % 11
    out[:, 16] = np.where(c9 == 10, ord("X"), digits[c9 % 10])
    values = _VALUE[out[:, :17]]
    out[:, 17] = _ALPHABET_BYTES[(31 - (values * WEIGHTS).sum(axis=1) % 31) % 31]
    flat = out.tobytes().decode("ascii")
    return np.array([flat[i * 18 : (i + 1) * 18] for i in range(n)], dtype=object)

