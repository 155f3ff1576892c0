"""New message ids: never the same twice, in this process or a forked one."""

from __future__ import annotations

import os

from rasd.bus.base import is_new_message_id, new_message_id


def test_new_ids_are_new_and_known_as_new() -> None:
    ids = [new_message_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(is_new_message_id(i) for i in ids)
    assert not is_new_message_id("reports:k:new:1")


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next id and leave at once
        os.write(write, new_message_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 200).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = new_message_id()
    assert child.rsplit("-", 1)[0] != parent.rsplit("-", 1)[0]
