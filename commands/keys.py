"""`onego keys list|rotate|new`: the data key ring that seals Temporal payloads and the read
model's personal fields (core/keyring.py). `list` and a file rotation never print a secret;
`new`, and `rotate` when the ring comes from DATA_KEYS, print the ring for a secret store."""

from typing import Annotated

import typer

from runtime.settings import get_settings
from security.keyring import (
    KEY_BYTES,
    Algorithm,
    DataKey,
    KeyRing,
    KeyRingError,
    keyring_of,
    rotate,
)

app = typer.Typer(
    help="The data key ring: list keys, rotate the encrypting one, make a new ring.",
    no_args_is_help=True,
)


@app.command("list")
def list_keys() -> None:
    """Each key's id, algorithm and creation time; `*` marks the one that encrypts."""
    settings = get_settings()
    try:
        ring = keyring_of(settings)
    except KeyRingError as error:
        typer.echo(f"密钥环无法读取 / the key ring cannot be read: {error}", err=True)
        raise typer.Exit(1) from None
    source = "DATA_KEYS" if settings.data_keys else str(settings.data_dir / "keys.json")
    typer.echo(f"密钥环 / key ring: {source}")
    for key in sorted(ring.keys.values(), key=lambda k: k.created):
        mark = "*" if key.id == ring.current.id else " "
        typer.echo(f"{mark} {key.id}  {key.algorithm:<12} {key.created}")


def _algorithm(chosen: str) -> Algorithm:
    if chosen not in KEY_BYTES:
        typer.echo(f"未知算法 / unknown algorithm {chosen!r}: SM4-GCM or AES-256-GCM", err=True)
        raise typer.Exit(2)
    return chosen  # type: ignore[return-value]


AlgorithmOption = Annotated[
    str | None,
    typer.Option(help="SM4-GCM or AES-256-GCM; default: the DATA_KEY_ALGORITHM setting"),
]


@app.command("new")
def new_ring(algorithm: AlgorithmOption = None) -> None:
    """Print a new key ring (one key) as JSON, for the DATA_KEYS setting of a deployment
    whose processes do not share a data folder (docker/compose.yaml). Keep it secret."""
    key = DataKey.new(_algorithm(algorithm or get_settings().data_key_algorithm))
    typer.echo(KeyRing([key], key.id).to_json())


@app.command("rotate")
def rotate_key(algorithm: AlgorithmOption = None) -> None:
    """Add a new key and make it the encrypting one; older keys keep decrypting. Restart the
    workers, then the API (they read the ring at start). With DATA_KEYS set, print the rotated
    ring for the secret store instead (nothing is written)."""
    settings = get_settings()
    chosen = _algorithm(algorithm or settings.data_key_algorithm)
    if settings.data_keys:
        ring = keyring_of(settings)
        key = DataKey.new(chosen)
        typer.echo(
            f"密钥来自 DATA_KEYS：请把下面的密钥环存为新的 DATA_KEYS / the keys come from "
            f"DATA_KEYS: store the ring below as its new value (new encrypting key {key.id})",
            err=True,
        )
        typer.echo(KeyRing([*ring.keys.values(), key], key.id).to_json())
        return
    key = rotate(settings.data_dir / "keys.json", chosen)
    typer.echo(
        f"新密钥 / new encrypting key {key.id} ({key.algorithm}); older keys still decrypt. "
        "Restart the workers, then the API / 请先重启 worker，再重启 API"
    )
