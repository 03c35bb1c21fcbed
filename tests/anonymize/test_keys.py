"""The key: where it comes from, what it refuses, and that it never shows."""

from __future__ import annotations

import pickle

import pytest

from anonymize.errors import KeyMissingError
from anonymize.keys import ENV_VAR, Keyring
from anonymize.transformers.permutation import Permutation

SECRET = "s3cret-key-material-0123456789"


def test_from_env_reads_the_variable() -> None:
    ring = Keyring.from_env({ENV_VAR: SECRET})
    assert ring == Keyring.from_bytes(SECRET)


def test_missing_env_names_the_fix() -> None:
    with pytest.raises(KeyMissingError) as info:
        Keyring.from_env({})
    assert ENV_VAR in info.value.message
    assert info.value.hint and "--key-file" in info.value.hint and ENV_VAR in info.value.hint


def test_short_key_is_refused() -> None:
    with pytest.raises(KeyMissingError, match="too short"):
        Keyring.from_bytes("short")


def test_key_file(tmp_path) -> None:
    path = tmp_path / "anon.key"
    path.write_text(SECRET + "\n")
    assert Keyring.from_file(path) == Keyring.from_bytes(SECRET)


def test_missing_and_empty_key_file(tmp_path) -> None:
    with pytest.raises(KeyMissingError, match="cannot read key file"):
        Keyring.from_file(tmp_path / "nope.key")
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(KeyMissingError, match="empty"):
        Keyring.from_file(empty)


def test_key_never_shows() -> None:
    ring = Keyring.from_bytes(SECRET)
    for text in (repr(ring), str(ring), f"{ring}", repr(vars(ring) if hasattr(ring, "__dict__") else ring)):
        assert SECRET not in text
    assert len(ring.fingerprint()) == 12 and ring.fingerprint() in repr(ring)


def test_digest_is_keyed_and_domain_separated() -> None:
    ring, other = Keyring.from_bytes(SECRET), Keyring.from_bytes(SECRET + "x")
    assert ring.digest("email", "a@b.c") == ring.digest("email", "a@b.c")
    assert ring.digest("email", "a@b.c") != other.digest("email", "a@b.c")
    assert ring.digest("email", "a@b.c") != ring.digest("phone", "a@b.c")
    # The NUL separator keeps (domain, value) pairs apart: "ab"+"c" is not "a"+"bc".
    assert ring.digest("ab", "c") != ring.digest("a", "bc")
    assert len(ring.digest("d", "v")) == 32


def test_keyring_pickles_for_worker_processes() -> None:
    ring = Keyring.from_bytes(SECRET)
    assert pickle.loads(pickle.dumps(ring)) == ring


@pytest.mark.parametrize("size", [1, 2, 3, 10, 97, 1000, 4096, 12_345])
def test_permutation_is_a_bijection(size: int) -> None:
    permutation = Permutation(b"k" * 32, size)
    images = [permutation(i) for i in range(size)]
    assert sorted(images) == list(range(size))
    assert all(permutation.inverse(y) == x for x, y in enumerate(images))


def test_permutation_depends_on_the_key() -> None:
    first = [Permutation(b"a" * 32, 10**6)(i) for i in range(50)]
    second = [Permutation(b"b" * 32, 10**6)(i) for i in range(50)]
    assert first != second
    assert first != list(range(50))  # not the identity


def test_permutation_rejects_values_outside_its_space() -> None:
    with pytest.raises(ValueError):
        Permutation(b"k" * 32, 10)(10)


def test_long_keys_use_all_their_bytes_and_digests_survive_pickling() -> None:
    long_key = "k" * 64
    assert Keyring.from_bytes(long_key + "a").digest("d", "v") != Keyring.from_bytes(long_key + "b").digest("d", "v")
    ring = Keyring.from_bytes(SECRET)
    assert pickle.loads(pickle.dumps(ring)).digest("email", "a@b.c") == ring.digest("email", "a@b.c")


@pytest.mark.parametrize("size", [10**8, 2**32, 10**12])
def test_large_permutations_are_injective_and_invertible(size: int) -> None:
    """10^8 and 2^32 use round tables drawn from the keyed stream, 10^12 the per-call keyed hash: both bijective."""
    permutation = Permutation(b"k" * 32, size)
    xs = [*range(20_000), *range(size - 1000, size)]
    images = [permutation(x) for x in xs]
    assert len(set(images)) == len(xs) and all(0 <= y < size for y in images)
    assert all(permutation.inverse(y) == x for x, y in zip(xs, images, strict=True))


def test_tag_is_the_base32_prefix() -> None:
    import base64
    import os

    from anonymize.transformers.keyed import tag

    for n in range(500):
        digest, length = os.urandom(1 + n % 33), n % 24
        assert tag(digest, length) == base64.b32encode(digest).decode().lower()[:length]
