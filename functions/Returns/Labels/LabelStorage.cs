using Automation.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;

namespace Automation.Returns.Labels;

/// <summary>Labels live in Blob storage (<c>return-labels/{store}/{rma}.pdf</c>) behind a read-only link that expires.</summary>
public sealed class LabelStorage(StorageClients storage, IOptions<ReturnsOptions> options, TimeProvider time)
{
    public const string Container = "return-labels";

    public static string BlobName(string storeId, string rma) => $"{storeId}/{rma}.pdf";

    /// <summary>Stores the label (overwriting: same RMA, same label) and returns a read-only link.</summary>
    public async Task<Uri> SaveAsync(string storeId, string rma, byte[] pdf, CancellationToken cancellationToken)
    {
        var container = await storage.ContainerAsync(Container);
        var blob = container.GetBlobClient(BlobName(storeId, rma));
        await blob.UploadAsync(new BinaryData(pdf), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/pdf", ContentDisposition = $"inline; filename=\"return-label-{rma}.pdf\"" } }, cancellationToken);
        if (!blob.CanGenerateSasUri)
            throw new InvalidOperationException("Label links need a storage account key in AzureWebJobsStorage (account-key SAS).");
        return blob.GenerateSasUri(BlobSasPermissions.Read, time.GetUtcNow() + options.Value.LabelLinkLifetime);
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
