using System.Web;
using Automation.Returns;
using Automation.Returns.Labels;
using Automation.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Automation.Tests.Returns;

/// <summary>
/// A label link (signed offline with an account key, as with a connection string) reads one blob, over HTTPS only, and
/// stops working after <c>Returns:LabelLinkLifetime</c>.
/// </summary>
public sealed class LabelLinkTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task HttpsStorage_LinkIsHttpsOnlyReadOnlyAndExpiresAfterTheConfiguredLifetime()
    {
        var query = await LinkQueryAsync("DefaultEndpointsProtocol=https;AccountName=stlabels;AccountKey=" + Convert.ToBase64String(new byte[64]) + ";EndpointSuffix=core.windows.net",
            TimeSpan.FromDays(3));

        Assert.That(query["spr"], Is.EqualTo("https"), "HTTPS only");
        Assert.That(query["sp"], Is.EqualTo("r"), "read only");
        Assert.That(query["sr"], Is.EqualTo("b"), "this blob only");
        Assert.That(DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(Now + TimeSpan.FromDays(3)));
    }

    [Test]
    public async Task PlainHttpEmulator_LinkAllowsHttpSoItOpensLocally()
    {
        var query = await LinkQueryAsync("UseDevelopmentStorage=true", TimeSpan.FromHours(6));

        Assert.That(query["spr"], Is.EqualTo("https,http"));
        Assert.That(DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(Now + TimeSpan.FromHours(6)));
    }

    private static async Task<System.Collections.Specialized.NameValueCollection> LinkQueryAsync(string connectionString, TimeSpan lifetime)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create<string, string?>("AzureWebJobsStorage", connectionString)]).Build();
        var storage = new StorageClients(configuration, Options.Create(new StorageClientsOptions()), new StorageOperationCounter());
        var labels = new LabelStorage(storage, Options.Create(new ReturnsOptions { LabelLinkLifetime = lifetime }), new FakeTimeProvider(Now));
        var blob = storage.Blobs.GetBlobContainerClient(LabelStorage.Container).GetBlobClient(LabelStorage.BlobName("shop", "RMA-1"));

        var link = await labels.LinkAsync(blob, CancellationToken.None);

        Assert.That(link.AbsolutePath, Does.EndWith("/return-labels/shop/RMA-1.pdf"));
        return HttpUtility.ParseQueryString(link.Query);
    }
}
