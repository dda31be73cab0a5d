using Automation.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;

namespace Automation.Returns.Labels;

/// <summary>
/// Labels live in Blob storage (<c>return-labels/{store}/{rma}.pdf</c>) behind a read-only, HTTPS-only link that expires:
/// an account-key SAS with a connection string, a user-delegation SAS (signed with a key Entra ID issues to the app's
/// identity; no account key exists) with identity-based settings.
/// </summary>
public sealed class LabelStorage(StorageClients storage, IOptions<ReturnsOptions> options, TimeProvider time)
{
    public const string Container = "return-labels";

    /// <summary>Azure's limit for a user-delegation key, and so for a link signed with one.</summary>
    public static readonly TimeSpan MaxUserDelegationLifetime = TimeSpan.FromDays(7);

    // One delegation key serves every link until it would expire before a new link does (one request a few times a
    // week). Two labels racing for a new key both ask for one; either key works.
    private volatile UserDelegationKey? _delegationKey;

    public static string BlobName(string storeId, string rma) => $"{storeId}/{rma}.pdf";

    /// <summary>How long a link works: <c>Returns:LabelLinkLifetime</c>, at most 7 days with identity-based storage.</summary>
    public TimeSpan LinkLifetime => storage.Connection.UsesIdentity && options.Value.LabelLinkLifetime > MaxUserDelegationLifetime - KeyMargin
        ? MaxUserDelegationLifetime - KeyMargin
        : options.Value.LabelLinkLifetime;

    private static TimeSpan KeyMargin => TimeSpan.FromMinutes(10);

    /// <summary>Stores the label (overwriting: same RMA, same label) and returns a read-only link.</summary>
    public async Task<Uri> SaveAsync(string storeId, string rma, byte[] pdf, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(Container);
        var blob = container.GetBlobClient(BlobName(storeId, rma));
        await blob.UploadAsync(new BinaryData(pdf), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/pdf", ContentDisposition = $"inline; filename=\"return-label-{rma}.pdf\"" } }, cancellationToken);

        var expiresOn = time.GetUtcNow() + LinkLifetime;
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            // Azurite serves plain http on loopback; anything else gets https-only links.
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        if (blob.CanGenerateSasUri) return blob.GenerateSasUri(sas);
        if (!storage.Connection.UsesIdentity)
            throw new InvalidOperationException("Label links need a storage account key (account-key SAS) or identity-based AzureWebJobsStorage settings (user-delegation SAS).");

        var key = await DelegationKeyAsync(expiresOn, cancellationToken);
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, storage.Blobs.AccountName) }.ToUri();
    }

    private async Task<UserDelegationKey> DelegationKeyAsync(DateTimeOffset linkExpiresOn, CancellationToken cancellationToken)
    {
        if (_delegationKey is { } cached && cached.SignedExpiresOn >= linkExpiresOn) return cached;
        var now = time.GetUtcNow();
        // Starts a little in the past: clocks differ, and a link must work the moment it is sent.
        var key = (await storage.Blobs.GetUserDelegationKeyAsync(now - TimeSpan.FromMinutes(5), now + MaxUserDelegationLifetime - TimeSpan.FromMinutes(1), cancellationToken)).Value;
        _delegationKey = key;
        return key;
    }

    public async Task<byte[]?> ReadAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(Container);
        var blob = container.GetBlobClient(BlobName(storeId, rma));
        if (!(await blob.ExistsAsync(cancellationToken)).Value) return null;
        return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
    }

    public async Task DeleteAsync(string storeId, string rma, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(Container);
        await container.GetBlobClient(BlobName(storeId, rma)).DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }
}
