"""The guest console of several guests split per guest (CONTRACT.md 10, lab/machine/demux.py
and lab/machine/guests.py)."""
import socket

from lab.machine.demux import Demux
from lab.machine.guests import Guests


def _split(demux: Demux, *reads: bytes) -> dict:
    out: dict = {}
    for data in reads:
        for gid, run in demux.feed(data):
            out[gid] = out.get(gid, b"") + run
    return out


def test_tags_send_each_guests_bytes_to_its_own_stream():
    d = Demux(3)
    assert _split(d, b"\x1bg0boot 0\n\x1bg2boot 2\n\x1bg0more 0\n") == {
        0: b"boot 0\nmore 0\n", 2: b"boot 2\n"}
    assert (d.untagged, d.errors) == (0, [])


def test_an_escaped_escape_is_the_guests_own_0x1b():
    d = Demux(2)
    assert _split(d, b"\x1bg1\x1b\x1b[2J") == {1: b"\x1b[2J"}


def test_a_tag_or_escape_split_across_reads_is_joined():
    data = b"\x1bg0ab\x1b\x1bc\x1bg1de"
    whole = _split(Demux(2), data)
    for cut in range(1, len(data)):
        assert _split(Demux(2), data[:cut], data[cut:]) == whole, cut
    assert whole == {0: b"ab\x1bc", 1: b"de"}
    bytewise = _split(Demux(2), *(data[i:i + 1] for i in range(len(data))))
    assert bytewise == whole


def test_bytes_before_any_tag_are_counted_as_untagged():
    d = Demux(2)
    assert _split(d, b"Booting...\n") == {None: b"Booting...\n"}
    assert d.untagged == 11


def test_a_tag_for_a_guest_the_run_lacks_is_an_error_not_a_stream():
    d = Demux(2)
    assert _split(d, b"\x1bg0a\x1bg7b") == {0: b"ab"}
    assert d.errors == ["a tag for guest '7' of 2"]


def test_escape_then_another_byte_is_kept_and_reported():
    d = Demux(2)
    assert _split(d, b"\x1bg0a\x1bxb") == {0: b"a\x1bxb"}
    assert d.errors == ["ESC followed by 0x78, neither 'g' nor ESC"]


def test_guest_streams_are_waitable_and_logged(tmp_path):
    g = Guests(2, tmp_path)
    g.feed(b"\x1bg1SWEB: /> \x1bg0Booting")
    assert g.consoles[1].expect(["SWEB: /> "], 1) == 0
    assert g.consoles[0].expect(["SWEB: /> "], 0.1) == -1  # guest 0's stream lacks it
    g.feed(b"")
    assert g.consoles[0].expect(["never"], 1) == -2  # the end of COM1 ends every stream
    assert (tmp_path / "console-g0.log").read_bytes() == b"Booting"
    assert (tmp_path / "console-g1.log").read_bytes() == b"SWEB: /> "


def test_log_markers_set_each_guests_end_and_the_focus(tmp_path):
    g = Guests(2, tmp_path)
    for line in ("@lab guest id=0 mem=8", "@lab guest id=1 mem=8", "@lab focus guest=1",
                 "@lab guest-end id=0 code=4 reason=guest-crash"):
        g.on_log_line(line)
    assert g.created == {0, 1}
    assert (g.focused, g.focus_moves) == (1, 1)
    assert g.consoles[0].ended_line == "@lab guest-end id=0 code=4 reason=guest-crash"
    assert g.consoles[1].ended_line is None
    g.wait_focus(1, 0, 1, lambda: None)  # the move already came: no wait


def test_one_guest_has_no_split_its_console_is_byte_for_byte_the_channel(tmp_path):
    from lab.machine import MachineSpec
    from lab.machine.base import Machine

    m = Machine(MachineSpec("qemu-tcg", "svm", tmp_path / "hv.elf"), tmp_path / "run")
    assert m.guests is None and m.guest(0) is m.console and m.console.feeders == []
    port = m.console.listen()
    guest = socket.create_connection(("127.0.0.1", port))
    m.console.accept(timeout=5)
    data = bytes(range(256)) + b"\x1bg1\x1b\x1b"  # tag-like bytes stay as they are
    guest.sendall(data)
    guest.close()
    assert m.console.wait_closed(5)
    assert (tmp_path / "run" / "console.log").read_bytes() == data
    m.close()


def test_several_guests_split_the_channels_bytes_and_keep_the_raw_log(tmp_path):
    from lab.machine import MachineSpec
    from lab.machine.base import Machine

    m = Machine(MachineSpec("qemu-tcg", "svm", tmp_path / "hv.elf", guests=2), tmp_path / "r")
    port = m.console.listen()
    guest = socket.create_connection(("127.0.0.1", port))
    m.console.accept(timeout=5)
    guest.sendall(b"\x1bg0zero\x1bg")
    guest.sendall(b"1one")
    guest.close()
    assert m.console.wait_closed(5)
    assert m.guest(1).expect(["one"], 5) == 0
    assert m.guest(0).text() == "zero" and m.guest(1).text() == "one"
    assert (tmp_path / "r" / "console.log").read_bytes() == b"\x1bg0zero\x1bg1one"
    m.close()
