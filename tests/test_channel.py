"""The serial channel's pump: a guest that floods its console must not make a later wait
miss text (lab/machine/channel.py)."""
import socket

from lab.machine import channel as channel_module
from lab.machine.channel import Channel


def _connected(tmp_path) -> tuple[Channel, socket.socket]:
    ch = Channel("console", tmp_path / "console.log")
    port = ch.listen()
    guest = socket.create_connection(("127.0.0.1", port))
    ch.accept(timeout=5)
    return ch, guest


def test_text_after_a_flood_no_one_read_is_still_found_and_logged(tmp_path):
    ch, guest = _connected(tmp_path)
    flood = b"x" * (8 << 20)  # eight times the pipe the pump once wrote into
    guest.sendall(flood + b"\nMARKER\n")
    assert ch.expect(["MARKER"], timeout=20) == 0
    guest.close()
    assert ch.wait_closed(5)
    assert (tmp_path / "console.log").read_bytes() == flood + b"\nMARKER\n"
    ch.close()


def test_past_its_limit_the_stream_drops_the_oldest_bytes_never_the_newest(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(channel_module, "STREAM_MAX", 4096)
    ch, guest = _connected(tmp_path)
    guest.sendall(b"EARLY\n" + b"y" * 65536)
    guest.sendall(b"\nLATE\n")
    guest.close()
    assert ch.wait_closed(5)
    assert ch.expect(["LATE"], timeout=5) == 0
    assert ch._spawn.dropped > 0
    assert b"EARLY" in (tmp_path / "console.log").read_bytes()  # the log keeps everything
    ch.close()


def test_the_end_of_the_stream_is_seen_after_its_last_bytes(tmp_path):
    ch, guest = _connected(tmp_path)
    guest.sendall(b"last words\n")
    guest.close()
    assert ch.wait_closed(5)
    assert ch.expect(["last words"], timeout=5) == 0
    assert ch.expect(["more"], timeout=5) == -2  # end of stream, at once
    ch.close()


def test_a_wait_with_nothing_coming_times_out(tmp_path):
    ch, guest = _connected(tmp_path)
    assert ch.expect(["never"], timeout=0.3) == -1
    guest.close()
    ch.close()


def test_a_dead_emulators_connection_is_dropped_so_the_next_ones_output_arrives(tmp_path):
    """A Bochs that connects its serial port and then exits (no free VNC port) is started
    again on the same ports: its connection, left in the backlog, must not be the one taken
    for the second Bochs's."""
    ch = Channel("console", tmp_path / "console.log")
    port = ch.listen()
    first = socket.create_connection(("127.0.0.1", port))
    first.close()
    assert ch.drop_pending() == 1
    second = socket.create_connection(("127.0.0.1", port))
    ch.accept(timeout=5)
    second.sendall(b"from the second\n")
    assert ch.expect(["from the second"], timeout=5) == 0
    second.close()
    ch.close()
    assert ch.drop_pending() == 0  # nothing left, and no error on a closed listener
