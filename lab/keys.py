"""Typing on the emulated machine's PS/2 keyboard: text to key presses for QEMU and Bochs.

QEMU takes QMP `send-key` with qcodes; Bochs takes keys from a VNC client on its rfb display
(machine/rfb.py), as X keysyms. Measured here: a key sent to Bochs' rfb display reaches the
guest's i8042 as a translated set-1 make and break code (`a`: 0x1e, 0x9e).
"""
from __future__ import annotations

# Characters that need a qcode other than themselves, with shift where the US layout needs it.
_QCODES = {" ": "spc", "\n": "ret", "-": "minus", "=": "equal", ".": "dot", ",": "comma",
           "/": "slash", ";": "semicolon", "'": "apostrophe", "[": "bracket_left",
           "]": "bracket_right", "\\": "backslash", "`": "grave_accent", "\t": "tab"}
_SHIFTED = {"_": "-", "+": "=", ">": ".", "<": ",", "?": "/", ":": ";", '"': "'",
            "{": "[", "}": "]", "|": "\\", "~": "`", "!": "1", "@": "2", "#": "3", "$": "4",
            "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0"}


def qcodes(ch: str) -> list[str]:
    """The QMP send-key qcodes that type one character on a US keyboard."""
    if ch.isascii() and ch.isupper():
        return ["shift", ch.lower()]
    if ch in _SHIFTED:
        return ["shift", *qcodes(_SHIFTED[ch])]
    if ch in _QCODES:
        return [_QCODES[ch]]
    if ch.isascii() and ch.isalnum():
        return [ch]
    raise ValueError(f"cannot type {ch!r} on a US keyboard")


def vnc_key(ch: str) -> str:
    """The character itself, once it is known typeable on a US keyboard (as for QEMU): Bochs
    maps its keysym to scancodes, shift included."""
    qcodes(ch)  # the same characters are typeable on both
    return ch


# Keys typed together (a chord, such as the focus hotkey Ctrl+Alt+F2): their qcodes, and the
# X keysyms Bochs' rfb display maps to the same keys (X11 keysymdef.h: XK_Control_L,
# XK_Alt_L, XK_F1 + n).
CHORD_KEYSYMS = {"ctrl": 0xFFE3, "alt": 0xFFE9,
                 **{f"f{n}": 0xFFBE + n - 1 for n in range(1, 13)}}


def chord_keysyms(keys: list[str]) -> list[int]:
    """The keysyms of a chord named by qcodes ("ctrl", "alt", "f2"); ValueError for others."""
    unknown = [k for k in keys if k not in CHORD_KEYSYMS]
    if unknown or not keys:
        raise ValueError(f"cannot press {'+'.join(keys) or 'nothing'}: a chord is made of "
                         f"{', '.join(CHORD_KEYSYMS)}")
    return [CHORD_KEYSYMS[k] for k in keys]
