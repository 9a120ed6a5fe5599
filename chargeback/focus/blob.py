"""Fetch one Cost Management export run from Azure Blob Storage (azure-storage-blob) into a local folder.

Exports write ``manifest.json`` and the part files it lists (``blobs[].blobName``,
container-relative) into a run folder. The task downloads the manifest, checks
it, then streams each listed blob to disk under the same relative path.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from azure.core.exceptions import AzureError, ResourceNotFoundError
from django.conf import settings

from chargeback.focus.manifest import MANIFEST_NAME, FocusFormatError, parse_manifest
from loom_portal.azure.errors import as_transient, is_transient

MAX_CONCURRENCY = 4


def container_client(*, account_url: str, container: str):
    """A ContainerClient: from ``CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING`` when set, else the portal's Azure credential."""
    from azure.storage.blob import BlobServiceClient

    retry = {"retry_total": getattr(settings, "AZURE_RETRY_TOTAL", 5)}
    connection_string = getattr(settings, "CHARGEBACK_FOCUS_STORAGE_CONNECTION_STRING", "")
    if connection_string:
        service = BlobServiceClient.from_connection_string(connection_string, **retry)
    else:
        if not account_url:
            raise ValueError("account_url: give the storage account's blob endpoint, e.g. https://<account>.blob.core.windows.net.")
        from loom_portal.azure.credentials import azure_credential

        service = BlobServiceClient(account_url, credential=azure_credential(), **retry)
    return service.get_container_client(container)


def _local(dest: Path, blob_name: str) -> Path:
    parts = PurePosixPath(blob_name).parts
    if not parts or ".." in parts or PurePosixPath(blob_name).is_absolute():
        raise FocusFormatError(f"{MANIFEST_NAME}: {blob_name!r} is not a safe blob path.")
    target = dest.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _download(client, blob_name: str, target: Path, *, missing: str, error: type[Exception] = FocusFormatError) -> None:
    try:
        with open(target, "wb") as handle:
            client.download_blob(blob_name, max_concurrency=MAX_CONCURRENCY).readinto(handle)
    except ResourceNotFoundError:
        raise error(f"{blob_name}: {missing} (container {client.container_name}).") from None
    except AzureError as exc:
        if is_transient(exc):
            raise as_transient(exc) from exc
        raise


def download_export(*, container_client, manifest_blob: str, dest: Path) -> Path:
    """Download ``manifest_blob`` and every blob it lists into ``dest``; returns the folder holding manifest.json."""
    manifest_blob = manifest_blob.strip().lstrip("/")
    if PurePosixPath(manifest_blob).name != MANIFEST_NAME:
        raise FocusFormatError(f"{manifest_blob!r}: expected the export run's {MANIFEST_NAME} blob.")
    manifest_file = _local(dest / "_manifest", manifest_blob).with_name(MANIFEST_NAME)
    _download(container_client, manifest_blob, manifest_file, missing="no such export manifest", error=FileNotFoundError)
    manifest = parse_manifest(manifest_file.read_bytes())
    folder = dest / "export"
    folder.mkdir()
    (folder / MANIFEST_NAME).write_bytes(manifest_file.read_bytes())
    for blob in manifest.blobs:
        _download(container_client, blob.name, _local(folder, blob.name), missing=f"listed in {MANIFEST_NAME} but not found")
    return folder
